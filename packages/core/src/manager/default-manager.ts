import { createRequire } from 'node:module';
import { isAbsolute, join } from 'node:path';
import { loadConfigFromEnv } from '../config/env/load.js';
import { REDIS_URL_VAR } from '../config/env/variables.js';
import { RateLimitConfigError } from '../errors.js';
import type { RateLimitStore } from '../store/types.js';
import { createRateLimitManager, type RateLimitManager } from './manager.js';

let instance: RateLimitManager | undefined;

/** Shape of `@aurum/ratelimit-redis` that the default manager needs. */
interface RedisStoreModule {
  createRedisStoreFromUrl(url: string, options?: { keyPrefix?: string }): RateLimitStore;
}

/**
 * Where `@aurum/ratelimit-redis` registers itself when it is loaded (a global symbol, so that an
 * ESM and a CJS copy of either package still find each other).
 */
const REDIS_MODULE_KEY = Symbol.for('@aurum/ratelimit-redis');

/**
 * The process-wide manager, built on first call from `AURUM_API_*` environment variables:
 * Redis (through `@aurum/ratelimit-redis`, which must be installed) when
 * `AURUM_API_CACHE_REDIS_URL` is set, the in-memory store otherwise.
 * @throws RateLimitConfigError when a variable is invalid or Redis is asked for but not installed
 */
export function getRateLimitManager(): RateLimitManager {
  // A closed manager is replaced: a script may close it and ask again.
  if (instance && !instance.closed) return instance;
  const env = loadConfigFromEnv();
  const store = env.redisUrl ? loadRedisModule().createRedisStoreFromUrl(env.redisUrl, env.redisKeyPrefix ? { keyPrefix: env.redisKeyPrefix } : {}) : undefined;
  instance = createRateLimitManager(store ? { store } : {});
  return instance;
}

/** Replaces (or with `undefined`, forgets) the process-wide manager; for tests and custom wiring. */
export function setRateLimitManager(manager: RateLimitManager | undefined): void {
  instance = manager;
}

function loadRedisModule(): RedisStoreModule {
  // Already loaded by the application (an ESM import, a bundle, a test runner): use that very
  // instance; require() would load a second copy (the CJS build, with its own core) or, under a
  // runner resolving TypeScript sources, fail to load it at all.
  const registered = (globalThis as Record<symbol, RedisStoreModule | undefined>)[REDIS_MODULE_KEY];
  if (typeof registered?.createRedisStoreFromUrl === 'function') return registered;
  // Resolved from the application first (where users install it: its working directory, then
  // its entry script, for an app started from elsewhere), then beside this package.
  const entry = process.argv[1];
  for (const base of [join(process.cwd(), 'noop.js'), entry && isAbsolute(entry) ? entry : undefined, __filenameSafe()]) {
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
