/**
 * getRateLimitManager(): the process-wide manager uses Redis (through this package) when
 * AURUM_API_CACHE_REDIS_URL is set, and memory otherwise.
 */
import { getRateLimitManager, type RateLimitManager, REDIS_URL_VAR, setRateLimitManager } from '@aurum/ratelimit-core';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisStore } from '../src/index.js';

let redis: RedisServer;
let manager: RateLimitManager | undefined;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
beforeEach(() => {
  setRateLimitManager(undefined);
});
afterEach(async () => {
  await manager?.close();
  manager = undefined;
  setRateLimitManager(undefined);
  vi.unstubAllEnvs();
});

describe('getRateLimitManager()', () => {
  it(`uses Redis when ${REDIS_URL_VAR} is set`, async () => {
    vi.stubEnv(REDIS_URL_VAR, redis.url);
    manager = getRateLimitManager();
    expect(getRateLimitManager()).toBe(manager);
    expect((await manager.health()).store).toBe('redis');
    const primary = (manager.store as unknown as { primary: unknown }).primary;
    expect(primary).toBeInstanceOf(RedisStore);

    // The very first decision waits for the connection (within the store timeout): no silent fallback.
    const m = manager;
    const decision = await m.checkRateLimit('default-mgr', '/items');
    expect(decision).toMatchObject({ allowed: true, metadata: { source: 'primary', tier: 'free' } });
    expect(Number(await redis.cli('PTTL', 'aurum:rl:{default-mgr}:b'))).toBeGreaterThan(0);
    expect(await m.health()).toMatchObject({ store: 'redis', circuitBreaker: 'closed', cacheFailures: 0 });
  }, 15_000);

  it(`uses memory when ${REDIS_URL_VAR} is not set`, async () => {
    vi.stubEnv(REDIS_URL_VAR, undefined);
    manager = getRateLimitManager();
    expect((await manager.health()).store).toBe('memory');
    const decision = await manager.checkRateLimit('default-mem', '/items');
    expect(decision).toMatchObject({ allowed: true, metadata: { source: 'primary' } });
    expect(Number(await redis.cli('EXISTS', 'aurum:rl:{default-mem}:b'))).toBe(0);
  });
});
