import { type ConfigIssue, type Logger, RateLimitConfigError } from '@aurum/ratelimit-core';
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

const KNOWN = ['cost', 'bucket', 'skip'];
// Mirrors the core's rule for route-rule buckets (names are part of store keys).
const BUCKET_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const NONE: RouteLimit = Object.freeze({});
const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * Validates a route's `config.rateLimit`.
 *
 * @param where the route, for messages (`GET /items/:id`)
 * @throws RateLimitConfigError listing every problem
 */
export function parseRouteConfig(value: unknown, where: string): RouteLimit {
  if (value === undefined || value === null) return NONE;
  if (value === false) return undefined;
  const key = (name?: string) => `${where} config.rateLimit${name ? `.${name}` : ''}`;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new RateLimitConfigError([{ key: key(), message: `must be false or { cost?, bucket?, skip? }, got ${show(value)}` }]);
  }
  const { cost, bucket, skip } = value as Record<string, unknown>;
  const issues: ConfigIssue[] = Object.keys(value)
    .filter((k) => !KNOWN.includes(k))
    .map((k) => ({ key: key(k), message: 'is not a known option (cost, bucket, skip)' }));
  if (cost !== undefined && !(Number.isSafeInteger(cost) && (cost as number) >= 1))
    issues.push({ key: key('cost'), message: `must be a whole number >= 1, got ${show(cost)}` });
  if (bucket !== undefined && !(typeof bucket === 'string' && BUCKET_NAME.test(bucket) && bucket !== 'default'))
    issues.push({ key: key('bucket'), message: `must match ${BUCKET_NAME} and not be "default", got ${show(bucket)}` });
  if (skip !== undefined && typeof skip !== 'boolean') issues.push({ key: key('skip'), message: `must be true or false, got ${show(skip)}` });
  if (issues.length > 0) throw new RateLimitConfigError(issues);
  if (skip === true) return undefined;
  return Object.freeze({ ...(cost !== undefined && { cost: cost as number }), ...(bucket !== undefined && { bucket: bucket as string }) });
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
