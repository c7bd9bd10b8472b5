/**
 * RedisStore.takeUpTo on a real redis-server: the same decision as the memory store (core's
 * gcraTakeUpTo), bit for bit, interleaved with consumes and refunds; never more than the bucket
 * holds, nothing below `min`.
 */
import { InvalidArgumentError } from '@aurum/ratelimit-core';
import { gcraConsume, gcraTakeUpTo } from '@aurum/ratelimit-core/store';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { type AdvanceOp, type CostOp, costStep, modelPolicy, runModel, useModelRedis } from './gcra-model.js';

const model = useModelRedis('take:');
const { clock } = model;

type TakeOp = { kind: 'take'; min: number; extra: number; policy: number };
const op: fc.Arbitrary<TakeOp | CostOp | AdvanceOp> = fc.oneof(
  fc.record({
    kind: fc.constant('take' as const),
    min: fc.integer({ min: 1, max: 12 }),
    extra: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(2000)),
    policy: modelPolicy,
  }),
  fc.record({ kind: fc.constantFrom('consume' as const, 'refund' as const), cost: fc.integer({ min: 1, max: 12 }), policy: modelPolicy }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 5_000 })) }),
);

describe('RedisStore.takeUpTo', () => {
  it('any sequence of takes, consumes, refunds and waits: Redis equals the memory store and the core math', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) =>
        runModel<TakeOp | CostOp>(model, ops, async (o, at) => {
          if (o.kind !== 'take') return costStep(model, o, at);
          const { index, key, memory, policy, now, tat } = at;
          const max = o.min + o.extra;
          const expected = gcraTakeUpTo(tat, now, policy, o.min, max);
          const fromRedis = await model.redis.takeUpTo(key, policy, o.min, max);
          expect(fromRedis, `op ${index}`).toEqual(await memory.takeUpTo(key, policy, o.min, max));
          expect(fromRedis, `op ${index}`).toEqual(expected);
          return expected.granted > 0 ? gcraConsume(tat, now, policy, expected.granted).tatUs : tat;
        }),
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('grants up to max, never more than the bucket holds, and takes what it grants', async () => {
    const key = '{grant}:b';
    const policy = { rate: 5, burst: 10 };
    expect(await model.redis.takeUpTo(key, policy, 1, 4)).toMatchObject({ allowed: true, granted: 4, remaining: 6, retryAfterMs: 0 });
    expect(await model.redis.takeUpTo(key, policy, 1, 100)).toMatchObject({ allowed: true, granted: 6, remaining: 0 });
    expect(await model.redis.consume(key, policy, 1)).toMatchObject({ allowed: false, retryAfterMs: 200 });
  });

  it('denies when fewer than min are there, taking nothing, with the retry of a consume of min', async () => {
    const key = '{short}:b';
    const policy = { rate: 5, burst: 10 };
    await model.redis.consume(key, policy, 8);
    const denied = await model.redis.takeUpTo(key, policy, 3, 5);
    expect(denied).toMatchObject({ allowed: false, granted: 0, remaining: 2, retryAfterMs: 200 });
    expect(await model.redis.consume(key, policy, 2)).toMatchObject({ allowed: true, remaining: 0 });
    clock.advance(600); // the bucket was empty: three tokens come back in 600 ms
    expect(await model.redis.takeUpTo(key, policy, 3, 5)).toMatchObject({ allowed: true, granted: 3, remaining: 0 });
  });

  it('on the Redis clock: a take empties the bucket and a refund gives the tokens back', async () => {
    const store = new RedisStore({ client: model.client, keyPrefix: 'takereal:', fleet: false });
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
      await expect(model.redis.takeUpTo('{bad}:b', policy, min, max)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(model.redis.takeUpTo('{bad}:b', { rate: 0, burst: 1 }, 1, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
