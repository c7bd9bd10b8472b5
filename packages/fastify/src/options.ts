import type { Logger, RateLimitOptions } from '@aurum/ratelimit-core';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';

/**
 * Options of `aurumRateLimit`: the core's options (a ready `manager`, or the options to build
 * one). Without a `logger` (and without a `manager`), the limiter logs through `fastify.log`.
 * `T` is the names of your own tiers (declared in `tiers`); see {@link aurumRateLimitOptions}.
 */
export type FastifyRateLimitOptions<T extends string = never> = RateLimitOptions<FastifyRequest, T>;

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

/** The options with `fastify.log` as the logger when the user chose none. */
export function withFastifyLogger(options: FastifyRateLimitOptions | undefined, log: FastifyBaseLogger): FastifyRateLimitOptions {
  if (options?.logger !== undefined || options?.manager !== undefined) return options as FastifyRateLimitOptions;
  // pino (Fastify's logger) has the (object, message) signature the core calls.
  return { ...options, logger: log as unknown as Logger };
}
