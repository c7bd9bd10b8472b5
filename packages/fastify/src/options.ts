import type { Logger, RateLimitOptions, RefusalInfo } from '@aurum/ratelimit-core';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';

/** What `errorResponseBuilder` receives: the refusal, with @fastify/rate-limit's names for its numbers. */
export interface FastifyRefusalContext extends RefusalInfo {
  /** The status the body is sent with (`refusal.status`, default 429). */
  readonly statusCode: number;
  /** The burst (`limit`). */
  readonly max: number;
  /** Milliseconds until the request would pass. */
  readonly ttl: number;
  /** `ttl` for people: `1 second`, `5 seconds`. */
  readonly after: string;
}

/**
 * Options of `aurumRateLimit`: the core's options (a ready `manager`, or the options to build
 * one), and `errorResponseBuilder`. Without a `logger` (and without a `manager`), the limiter logs
 * through `fastify.log`. `T` is the names of your own tiers (declared in `tiers`); see
 * {@link aurumRateLimitOptions}.
 */
export type FastifyRateLimitOptions<T extends string = never> = RateLimitOptions<FastifyRequest, T> & {
  /**
   * The body of rate and concurrency refusals (@fastify/rate-limit's option), sent with
   * `context.statusCode` and the `Retry-After` and rate-limit headers: an object as JSON, a string
   * as text. If it throws, the error is logged and the default refusal sent.
   */
  errorResponseBuilder?: (request: FastifyRequest, context: FastifyRefusalContext) => unknown;
};

/**
 * Checks plugin options that declare tiers of their own: `fastify.register` infers the options'
 * type from the plugin, so it cannot learn the names a `tiers` option declares. Written in this
 * call, `tier: 'gld'` beside `tiers: { gold: … }` does not compile. Returns `options` unchanged.
 * (Names registered in `TierRegistry` need no helper.)
 *
 * @example
 * await fastify.register(aurumRateLimit, aurumRateLimitOptions({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gold' }] }));
 */
export function aurumRateLimitOptions<T extends string = never>(options: FastifyRateLimitOptions<T>): FastifyRateLimitOptions {
  // The names were checked above; the plugin validates them again at run time.
  return options as FastifyRateLimitOptions;
}

/** The context of `errorResponseBuilder` for a refusal. */
export function refusalContext(refusal: RefusalInfo): FastifyRefusalContext {
  const ttl = refusal.retryAfter * 1000;
  return { ...refusal, statusCode: refusal.status, max: refusal.limit, ttl, after: `${refusal.retryAfter} second${refusal.retryAfter === 1 ? '' : 's'}` };
}

/** The options with `fastify.log` as the logger when the user chose none. */
export function withFastifyLogger(options: FastifyRateLimitOptions | undefined, log: FastifyBaseLogger): FastifyRateLimitOptions {
  if (options?.logger !== undefined || options?.manager !== undefined) return options as FastifyRateLimitOptions;
  // pino (Fastify's logger) has the (object, message) signature the core calls.
  return { ...options, logger: log as unknown as Logger };
}
