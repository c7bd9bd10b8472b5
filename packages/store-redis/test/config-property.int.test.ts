/**
 * Issue 11.2, on a real redis-server: for any configuration the validator accepts (options, env
 * or an override), 100 requests of one tenant at one instant admit exactly min(burst, 100) —
 * never more, and never "everything" because a derived number broke the Lua script.
 */
import { createRateLimitManager, RateLimitConfigError, type RateLimitManager } from '@aurum/ratelimit-core';
import { MAX_RATE, MIN_RATE } from '@aurum/ratelimit-core/store';
import { FakeClock, type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LIMITER_CLIENT_OPTIONS, RedisStore } from '../src/index.js';

const P = 'AURUM_API_RATE_LIMIT_';
let server: RedisServer;
let client: Redis;
let run = 0;
let valid = 0;

beforeAll(async () => {
  server = await startRedisServer();
  client = new Redis(server.url, LIMITER_CLIENT_OPTIONS);
  await new Promise((resolve) => client.once('ready', resolve));
});
afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

/** Quota values, mostly valid (log-spread rates, small bursts), some not: the validator decides. */
const rate = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: Math.log10(MIN_RATE), max: Math.log10(MAX_RATE), noNaN: true }).map((e) => 10 ** e) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 2 * MAX_RATE, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(1e-310, 5e-324, 1e-20, MIN_RATE, MAX_RATE, 0.5, 5) },
);
const burst = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(1, 2 ** 31, Number.MAX_SAFE_INTEGER) },
);
const source = fc.constantFrom('options', 'env', 'override');

it('100 requests at one instant admit exactly min(burst, 100), all decided by Redis', async () => {
  await fc.assert(
    fc.asyncProperty(rate, burst, source, async (requestsPerSecond, burstSize, from) => {
      const clock = new FakeClock();
      // A key prefix per run: every run starts from empty buckets and no stored override.
      const store = new RedisStore({ client, clock, keyPrefix: `cfgprop${++run}:` });
      const common = { store, clock, storeTimeoutMs: 5_000, load: { enabled: false } } as const;
      let manager: RateLimitManager;
      try {
        if (from === 'options') manager = createRateLimitManager({ ...common, env: false, tiers: { free: { requestsPerSecond, burstSize } } });
        else if (from === 'env')
          manager = createRateLimitManager({ ...common, env: { [`${P}FREE_RPS`]: String(requestsPerSecond), [`${P}FREE_BURST`]: String(burstSize) } });
        else {
          manager = createRateLimitManager({ ...common, env: false });
          await manager.setTenantOverride('acme', { requestsPerSecond, burstSize });
        }
      } catch (error) {
        expect(error).toBeInstanceOf(RateLimitConfigError);
        await store.close();
        return;
      }
      try {
        valid++;
        let admitted = 0;
        for (let i = 0; i < 100; i++) {
          const decision = await manager.checkRateLimit('acme', '/');
          expect(decision.metadata.source).not.toBe('fallback');
          if (decision.allowed) admitted++;
        }
        expect(admitted).toBe(Math.min(burstSize, 100));
        expect(manager.breaker.state).toBe('closed');
      } finally {
        await manager.close();
      }
    }),
    { numRuns: 60 },
  );
  // The generators must reach accepted configurations, or the property says nothing.
  expect(valid).toBeGreaterThan(20);
}, 60_000);
