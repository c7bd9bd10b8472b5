import type { Logger } from '@aurum/ratelimit-core';
import { parseRouteLimits } from '@aurum/ratelimit-core/adapter';
import type { FastifyRequest, RouteOptions } from 'fastify';

/** Per-route settings, given in the route's `config.rateLimit`. */
export interface RouteRateLimitConfig {
  /** Tokens a request to this route costs (a whole number >= 1); beats the `cost` option and route rules. @default 1 */
  cost?: number;
  /** Count this route in a separate bucket of this name (`[A-Za-z0-9._-]{1,64}`) with the tenant's quota. */
  bucket?: string;
  /** Do not limit this route at all (the same as `rateLimit: false`). @default false */
  skip?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Aurum rate limiting for this route: `false` to skip it, or {@link RouteRateLimitConfig}. */
    rateLimit?: RouteRateLimitConfig | false;
  }
}

/** A route's settings after validation; `undefined` means "not limited". */
export type RouteLimit = { readonly cost?: number; readonly bucket?: string } | undefined;

const NONE: RouteLimit = Object.freeze({});

/**
 * Validates a route's `config.rateLimit` with the core's rules.
 *
 * @param where the route, for messages (`GET /items/:id`)
 * @throws RateLimitConfigError listing every problem
 */
export function parseRouteConfig(value: unknown, where: string): RouteLimit {
  if (value === undefined || value === null) return NONE;
  if (value === false) return undefined;
  const { skip, ...limits } = parseRouteLimits(value, `${where} config.rateLimit`);
  return skip === true ? undefined : Object.freeze(limits);
}

/** Validated route settings, remembered per `config.rateLimit` object. */
export class RouteLimits {
  private readonly parsed = new WeakMap<object, RouteLimit>();

  constructor(private readonly logger: Logger) {}

  /** For `onRoute`: a bad value throws here, so it fails at start-up rather than per request. */
  check(route: Pick<RouteOptions, 'method' | 'url' | 'config'>): void {
    const value: unknown = route.config?.rateLimit;
    const limit = parseRouteConfig(value, `${[route.method].flat().join(',')} ${route.url}`);
    if (typeof value === 'object' && value !== null) this.parsed.set(value, limit);
  }

  /** The settings of the route a request matched. */
  of(request: FastifyRequest): RouteLimit {
    // `routeConfig` is where Fastify 4 releases without `routeOptions.config` keep it.
    const config = request.routeOptions?.config ?? (request as unknown as { routeConfig?: { rateLimit?: unknown } }).routeConfig;
    const value: unknown = config?.rateLimit;
    if (typeof value !== 'object' || value === null) return value === false ? undefined : NONE;
    if (this.parsed.has(value)) return this.parsed.get(value);
    // Only routes declared before the plugin was loaded get here (onRoute never saw them).
    let limit: RouteLimit = NONE;
    try {
      limit = parseRouteConfig(value, `${request.method} ${request.routeOptions?.url ?? request.url}`);
    } catch (err) {
      this.logger.error(
        { err },
        'invalid route rateLimit config; limiting the route with the defaults (await fastify.register(aurumRateLimit) before declaring routes)',
      );
    }
    this.parsed.set(value, limit);
    return limit;
  }
}
