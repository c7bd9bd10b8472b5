/**
 * RedisStore.takeUpTo on a real redis-server: the same decision as the memory store (core's
 * gcraTakeUpTo), bit for bit, interleaved with consumes and refunds; never more than the bucket
 * holds, nothing below `min`.
 */
import { InvalidArgumentError } from '@aurum/ratelimit-core';
import { type BucketPolicy, gcraConsume, gcraRefund, gcraTakeUpTo, MemoryStore } from '@aurum/ratelimit-core/store';
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
  redis = new RedisStore({ client, clock, keyPrefix: 'take:', fleet: false });
});
afterAll(async () => {
  await redis?.close();
  client?.disconnect();
  await server?.stop();
});

const POLICIES: BucketPolicy[] = [
  { rate: 5, burst: 10 },
  { rate: 3, burst: 4 },
  { rate: 0.5, burst: 2 },
  { rate: 1000, burst: 1000 },
  { rate: 7, burst: 1 },
];
const policyIndex = fc.integer({ min: 0, max: POLICIES.length - 1 });

type Op =
  | { kind: 'take'; min: number; extra: number; policy: number }
  | { kind: 'consume' | 'refund'; cost: number; policy: number }
  | { kind: 'advance'; ms: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('take' as const),
    min: fc.integer({ min: 1, max: 12 }),
    extra: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(2000)),
    policy: policyIndex,
  }),
  fc.record({ kind: fc.constantFrom('consume' as const, 'refund' as const), cost: fc.integer({ min: 1, max: 12 }), policy: policyIndex }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 5_000 })) }),
);

describe('RedisStore.takeUpTo', () => {
  it('any sequence of takes, consumes, refunds and waits: Redis equals the memory store and the core math', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        // One Redis store for every run, a key per run; a day apart, so runs never share a moment.
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
          if (o.kind === 'take') {
            const max = o.min + o.extra;
            const expected = gcraTakeUpTo(tat, now, policy, o.min, max);
            if (expected.granted > 0) tat = gcraConsume(tat, now, policy, expected.granted).tatUs;
            const fromRedis = await redis.takeUpTo(key, policy, o.min, max);
            expect(fromRedis, `op ${i}`).toEqual(await memory.takeUpTo(key, policy, o.min, max));
            expect(fromRedis, `op ${i}`).toEqual(expected);
          } else if (o.kind === 'consume') {
            const expected = gcraConsume(tat, now, policy, o.cost);
            tat = expected.tatUs;
            const fromRedis = await redis.consume(key, policy, o.cost);
            expect(fromRedis, `op ${i}`).toEqual(await memory.consume(key, policy, o.cost));
            expect(fromRedis, `op ${i}`).toEqual(expected.result);
          } else {
            tat = gcraRefund(tat, now, policy, o.cost);
            await redis.refund(key, policy, o.cost);
            await memory.refund(key, policy, o.cost);
          }
          // A TAT at or before now is a full bucket, whether the key holds it or is gone.
          const stored = Number(await client.get(`take:${key}`));
          expect(stored > now ? stored : undefined, `TAT after op ${i}`).toBe(tat !== undefined && tat > now ? tat : undefined);
        }
        await memory.close();
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('grants up to max, never more than the bucket holds, and takes what it grants', async () => {
    const key = '{grant}:b';
    const policy = { rate: 5, burst: 10 };
    expect(await redis.takeUpTo(key, policy, 1, 4)).toMatchObject({ allowed: true, granted: 4, remaining: 6, retryAfterMs: 0 });
    expect(await redis.takeUpTo(key, policy, 1, 100)).toMatchObject({ allowed: true, granted: 6, remaining: 0 });
    expect(await redis.consume(key, policy, 1)).toMatchObject({ allowed: false, retryAfterMs: 200 });
  });

  it('denies when fewer than min are there, taking nothing, with the retry of a consume of min', async () => {
    const key = '{short}:b';
    const policy = { rate: 5, burst: 10 };
    await redis.consume(key, policy, 8);
    const denied = await redis.takeUpTo(key, policy, 3, 5);
    expect(denied).toMatchObject({ allowed: false, granted: 0, remaining: 2, retryAfterMs: 200 });
    expect(await redis.consume(key, policy, 2)).toMatchObject({ allowed: true, remaining: 0 });
    clock.advance(600); // the bucket was empty: three tokens come back in 600 ms
    expect(await redis.takeUpTo(key, policy, 3, 5)).toMatchObject({ allowed: true, granted: 3, remaining: 0 });
  });

  it('on the Redis clock: a take empties the bucket and a refund gives the tokens back', async () => {
    const store = new RedisStore({ client, keyPrefix: 'takereal:', fleet: false });
    const policy = { rate: 0.01, burst: 5 }; // one token per 100 s: nothing comes back by itself
    expect(await store.takeUpTo('{t}:b', policy, 1, 50)).toMatchObject({ allowed: true, granted: 5, remaining: 0 });
    expect((await store.consume('{t}:b', policy, 1)).allowed).toBe(false);
    await store.refund('{t}:b', policy, 5);
    expect(await store.inspect('{t}:b', policy)).toEqual({ limit: 5, remaining: 5, resetAfterMs: 0 });
    await store.close();
  });

  it('rejects a bad min, max or policy with InvalidArgumentError', async () => {
    const policy = { rate: 5, burst: 10 };
    for (const [min, max] of [
      [0, 5],
      [1.5, 5],
      [3, 2],
      [1, 2.5],
      [1, Number.NaN],
    ] as const)
      await expect(redis.takeUpTo('{bad}:b', policy, min, max)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(redis.takeUpTo('{bad}:b', { rate: 0, burst: 1 }, 1, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
