import type { RateLimitStore } from '@aurum/ratelimit-core/store';
import { afterAll, beforeAll } from 'vitest';
import type { FakeClock } from './fake-clock.js';
import { type RedisServer, startRedisServer } from './redis-server.js';

/** What an adapter test needs to build Redis stores: `createStore` for the conformance suite. */
export interface RedisStoreFactory {
  createStore(clock: FakeClock): Promise<RateLimitStore>;
  readonly server: () => RedisServer;
}

/**
 * Starts one real redis-server for the calling test file (beforeAll/afterAll) and returns a
 * factory of stores on it, built by `build(url, clock, keyPrefix)` (the adapter package supplies the
 * Redis store, so the testkit does not depend on it).
 */
export function useRedisStores(build: (url: string, clock: FakeClock, keyPrefix: string) => Promise<RateLimitStore>): RedisStoreFactory {
  let server: RedisServer | undefined;
  let apps = 0;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return {
    createStore: (clock) => {
      if (!server) throw new Error('useRedisStores: the Redis server has not started (call it at the top level of a test file)');
      // A key prefix per store: suites sharing this server never see each other's buckets.
      return build(server.url, clock, `aurum:test${++apps}:`);
    },
    server: () => {
      if (!server) throw new Error('Redis server not started');
      return server;
    },
  };
}
