/**
 * RedisStore.refund on a real redis-server: the exact inverse of an allowed consume, step for
 * step the same as the memory store (core's gcraRefund), never past a full bucket, a no-op on a
 * key never written, and a TTL that ends when the bucket is full again.
 */
import { InvalidArgumentError } from '@aurum/ratelimit-core';
import { type BucketPolicy, gcraConsume, gcraRefund, MemoryStore } from '@aurum/ratelimit-core/store';
import { FakeClock, type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { connect } from './instances.js';

let server: RedisServer;
let client: Redis;
let run = 0;
const clock = new FakeClock();
let redis: RedisStore;

beforeAll(async () => {
  server = await startRedisServer();
  client = (await connect(server.url)) as Redis;
  redis = new RedisStore({ client, clock, keyPrefix: 'refprop:', fleet: false });
});
afterAll(async () => {
  await redis?.close();
  client?.disconnect();
  await server?.stop();
});

const KEY = '{acme}:b';
const POLICIES: BucketPolicy[] = [
  { rate: 5, burst: 10 },
  { rate: 3, burst: 4 },
  { rate: 0.5, burst: 2 },
  { rate: 1000, burst: 1000 },
  { rate: 7, burst: 1 },
];

type Op = { kind: 'consume' | 'refund'; cost: number; policy: number } | { kind: 'advance'; ms: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('consume' as const), cost: fc.integer({ min: 1, max: 12 }), policy: fc.integer({ min: 0, max: POLICIES.length - 1 }) }),
  fc.record({ kind: fc.constant('refund' as const), cost: fc.integer({ min: 1, max: 12 }), policy: fc.integer({ min: 0, max: POLICIES.length - 1 }) }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 400 }), fc.constant(1), fc.integer({ min: 0, max: 5_000 })) }),
);

describe('RedisStore.refund', () => {
  it('any sequence of consumes, refunds and waits: Redis equals the memory store and the core math, TAT for TAT', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        // One store for every run (a store per run would pile listeners on the shared client): a key per run.
        const key = `{acme-${++run}}:b`;
        clock.set(Date.UTC(2026, 0, 1) + run * 86_400_000);
        const memory = new MemoryStore({ clock });
        let tat: number | undefined;
        for (const [i, o] of ops.entries()) {
          if (o.kind === 'advance') {
            clock.advance(o.ms);
            continue;
          }
          const policy = POLICIES[o.policy] as BucketPolicy;
          const now = Math.round(clock.now() * 1000);
          if (o.kind === 'consume') {
            const expected = gcraConsume(tat, now, policy, o.cost);
            tat = expected.tatUs > now ? expected.tatUs : undefined;
            const [fromRedis, fromMemory] = [await redis.consume(key, policy, o.cost), await memory.consume(key, policy, o.cost)];
            expect(fromRedis, `op ${i}`).toEqual(fromMemory);
            expect(fromRedis, `op ${i}`).toEqual(expected.result);
          } else {
            tat = gcraRefund(tat, now, policy, o.cost);
            await redis.refund(key, policy, o.cost);
            await memory.refund(key, policy, o.cost);
          }
          // The stored TAT itself, not only what a decision shows of it: µs for µs.
          // A TAT at or before now is a full bucket, whether the key holds it or is gone.
          const stored = Number(await client.get(`refprop:${key}`));
          expect(stored > now ? stored : undefined, `TAT after op ${i}`).toBe(tat !== undefined && tat > now ? tat : undefined);
          for (const p of POLICIES) expect(await redis.inspect(key, p), `inspect after op ${i}`).toEqual(await memory.inspect(key, p));
        }
        await memory.close();
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('a consume then a refund of the same cost leaves the bucket exactly as it was', async () => {
    const clock = new FakeClock();
    const store = new RedisStore({ client, clock, keyPrefix: 'refinv:', fleet: false });
    const policy = { rate: 3, burst: 9 };
    await store.consume(KEY, policy, 4);
    clock.advance(123);
    const before = await client.get(`refinv:${KEY}`);
    expect((await store.consume(KEY, policy, 3)).allowed).toBe(true);
    await store.refund(KEY, policy, 3);
    expect(await client.get(`refinv:${KEY}`)).toBe(before);
    await store.close();
  });

  it('never fills past the burst: a refund larger than what was taken leaves a full bucket and no key', async () => {
    const clock = new FakeClock();
    const store = new RedisStore({ client, clock, keyPrefix: 'refcap:', fleet: false });
    const policy = { rate: 5, burst: 10 };
    await store.consume(KEY, policy, 3);
    await store.refund(KEY, policy, 10);
    expect(await client.exists(`refcap:${KEY}`)).toBe(0);
    for (let i = 1; i <= 10; i++) expect(await store.consume(KEY, policy, 1)).toMatchObject({ allowed: true, remaining: 10 - i });
    expect((await store.consume(KEY, policy, 1)).allowed).toBe(false);
    await store.close();
  });

  it('is a no-op on a key never written (no key is created)', async () => {
    const store = new RedisStore({ client, clock: new FakeClock(), keyPrefix: 'refnone:', fleet: false });
    await store.refund(KEY, { rate: 5, burst: 10 }, 4);
    expect(await client.exists(`refnone:${KEY}`)).toBe(0);
    await store.close();
  });

  it('keeps the TTL of the consume script: time until full again (plus the test clock minute)', async () => {
    const clock = new FakeClock();
    const store = new RedisStore({ client, clock, keyPrefix: 'refttl:', fleet: false });
    const policy = { rate: 1, burst: 100 };
    await store.consume(KEY, policy, 50); // 50 s until full
    await store.refund(KEY, policy, 20); // 30 s until full
    const ttl = await client.pttl(`refttl:${KEY}`);
    // Real time passes between the SET and the PTTL, so only an upper bound and a coarse lower one.
    expect(ttl).toBeLessThanOrEqual(30_000 + 60_000);
    expect(ttl).toBeGreaterThan(50_000 + 30_000 - 60_000);
    await store.close();
  });

  it('on the Redis clock: a consume and its refund give the whole burst back', async () => {
    const store = new RedisStore({ client, keyPrefix: 'refreal:', fleet: false });
    const policy = { rate: 0.01, burst: 5 }; // refills one token per 100 s: nothing comes back by itself
    expect(await store.consume(KEY, policy, 5)).toMatchObject({ allowed: true, remaining: 0 });
    await store.refund(KEY, policy, 2);
    expect(await store.inspect(KEY, policy)).toMatchObject({ remaining: 2 });
    const ttl = await client.pttl(`refreal:${KEY}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300_000);
    await store.refund(KEY, policy, 3);
    expect(await store.inspect(KEY, policy)).toEqual({ limit: 5, remaining: 5, resetAfterMs: 0 });
    expect(await client.exists(`refreal:${KEY}`)).toBe(0);
    await store.close();
  });

  it('rejects a bad cost or policy with InvalidArgumentError, sending nothing', async () => {
    const store = new RedisStore({ client, clock: new FakeClock(), keyPrefix: 'refbad:', fleet: false });
    for (const cost of [0, -1, 1.5, Number.NaN]) await expect(store.refund(KEY, { rate: 5, burst: 10 }, cost)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.refund(KEY, { rate: 0, burst: 10 }, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await store.close();
  });
});
