import { RateLimitConfigError } from '@aurum/ratelimit-core';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';

/**
 * ioredis options for a limiter: fail fast instead of queueing while Redis is away (the breaker
 * and the memory fallback take over), bounded reconnect backoff. Auto-pipelining stays off: on
 * small machines it lowered throughput at every concurrency measured (docs/benchmark-notes.md);
 * pass `redis: { enableAutoPipelining: true }` to try it on yours.
 */
export const LIMITER_CLIENT_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  enableAutoPipelining: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  commandTimeout: 2_000,
  retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
};

/**
 * A {@link RedisStore} on a new client for `url` (`redis://` or `rediss://` for TLS), built with
 * {@link LIMITER_CLIENT_OPTIONS}. The store owns the client and quits it on `close()`.
 */
export function createRedisStoreFromUrl(url: string, options: Omit<RedisStoreOptions, 'client'> & { redis?: RedisOptions } = {}): RedisStore {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RateLimitConfigError([{ key: 'url', message: 'must be a redis:// or rediss:// URL' }]);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RateLimitConfigError([{ key: 'url', message: `must use redis:// or rediss://, got ${parsed.protocol}` }]);
  }
  const { redis, ...storeOptions } = options;
  const client = new Redis(url, { ...LIMITER_CLIENT_OPTIONS, ...redis });
  try {
    return new RedisStore({ ownsClient: true, ...storeOptions, client });
  } catch (error) {
    // A store refused its options: the client it would have owned must not keep reconnecting.
    client.disconnect();
    throw error;
  }
}

// Lets the core's getRateLimitManager() (AURUM_API_CACHE_REDIS_URL) use this module instance
// instead of require()-ing a second copy; see loadRedisModule in core's default-manager.ts.
(globalThis as Record<symbol, unknown>)[Symbol.for('@aurum/ratelimit-redis')] ??= { createRedisStoreFromUrl };

/** A {@link RedisStore} on an existing client. */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
