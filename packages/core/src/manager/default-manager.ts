import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadConfigFromEnv, REDIS_URL_VAR } from '../config/env.js';
import { RateLimitConfigError } from '../errors.js';
import type { RateLimitStore } from '../store/types.js';
import { createRateLimitManager, type RateLimitManager } from './manager.js';

let instance: RateLimitManager | undefined;

/** Shape of `@aurum/ratelimit-redis` that the default manager needs. */
interface RedisStoreModule {
  createRedisStoreFromUrl(url: string, options?: { keyPrefix?: string }): RateLimitStore;
}

/**
 * The process-wide manager, built on first call from `AURUM_API_*` environment variables:
 * Redis (through `@aurum/ratelimit-redis`, which must be installed) when
 * `AURUM_API_CACHE_REDIS_URL` is set, the in-memory store otherwise.
 * @throws RateLimitConfigError when a variable is invalid or Redis is asked for but not installed
 */
export function getRateLimitManager(): RateLimitManager {
  if (instance) return instance;
  const env = loadConfigFromEnv();
  const store = env.redisUrl ? loadRedisModule().createRedisStoreFromUrl(env.redisUrl, env.redisKeyPrefix ? { keyPrefix: env.redisKeyPrefix } : {}) : undefined;
  const manager = createRateLimitManager(store ? { store } : {});
  const close = manager.close.bind(manager);
  manager.close = async () => {
    if (instance === manager) instance = undefined;
    await close();
  };
  instance = manager;
  return manager;
}

/** Replaces (or with `undefined`, forgets) the process-wide manager; for tests and custom wiring. */
export function setRateLimitManager(manager: RateLimitManager | undefined): void {
  instance = manager;
}

function loadRedisModule(): RedisStoreModule {
  // Resolved from the application first (where users install it), then beside this package.
  for (const base of [join(process.cwd(), 'noop.js'), __filenameSafe()]) {
    if (!base) continue;
    try {
      return createRequire(base)('@aurum/ratelimit-redis') as RedisStoreModule;
    } catch (error) {
      if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  throw new RateLimitConfigError([{ key: REDIS_URL_VAR, message: 'is set, but @aurum/ratelimit-redis (and ioredis) is not installed' }]);
}

function __filenameSafe(): string | undefined {
  try {
    return typeof __filename === 'string' ? __filename : undefined;
  } catch {
    return undefined;
  }
}
