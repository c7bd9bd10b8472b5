import type { Logger, RateLimitOptions } from '@aurum/ratelimit-core';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';

/**
 * Options of `aurumRateLimit`: the core's options (a ready `manager`, or the options to build
 * one). Without a `logger` (and without a `manager`), the limiter logs through `fastify.log`.
 */
export type FastifyRateLimitOptions = RateLimitOptions<FastifyRequest>;

/** The options with `fastify.log` as the logger when the user chose none. */
export function withFastifyLogger(options: FastifyRateLimitOptions | undefined, log: FastifyBaseLogger): FastifyRateLimitOptions {
  if (options?.logger !== undefined || options?.manager !== undefined) return options as FastifyRateLimitOptions;
  // pino (Fastify's logger) has the (object, message) signature the core calls.
  return { ...options, logger: log as unknown as Logger };
}
