/**
 * RedisStore.refund on a real redis-server: the exact inverse of an allowed consume, step for
 * step the same as the memory store (core's gcraRefund), never past a full bucket, a no-op on a
 * key never written, and a TTL that ends when the bucket is full again.
 */
import { InvalidArgumentError } from '@aurum/ratelimit-core';
import { FakeClock } from '@aurum/ratelimit-testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { type AdvanceOp, type CostOp, costStep, MODEL_POLICIES, modelPolicy, runModel, useModelRedis } from './gcra-model.js';

const model = useModelRedis('refprop:');
const KEY = '{acme}:b';

const op: fc.Arbitrary<CostOp | AdvanceOp> = fc.oneof(
  fc.record({ kind: fc.constant('consume' as const), cost: fc.integer({ min: 1, max: 12 }), policy: modelPolicy }),
  fc.record({ kind: fc.constant('refund' as const), cost: fc.integer({ min: 1, max: 12 }), policy: modelPolicy }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.oneof(fc.integer({ min: 0, max: 400 }), fc.constant(1), fc.integer({ min: 0, max: 5_000 })) }),
);

describe('RedisStore.refund', () => {
  it('any sequence of consumes, refunds and waits: Redis equals the memory store and the core math, TAT for TAT', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) =>
        runModel(
          model,
          ops,
          (o, at) => costStep(model, o, at),
          async ({ key, memory, index }) => {
            for (const p of MODEL_POLICIES) expect(await model.redis.inspect(key, p), `inspect after op ${index}`).toEqual(await memory.inspect(key, p));
          },
        ),
      ),
      { numRuns: 40 },
    );
  }, 120_000);

  it('a consume then a refund of the same cost leaves the bucket exactly as it was', async () => {
    const clock = new FakeClock();
    const store = new RedisStore({ client: model.client, clock, keyPrefix: 'refinv:', fleet: false });
    const policy = { rate: 3, burst: 9 };
    await store.consume(KEY, policy, 4);
    clock.advance(123);
    const before = await model.client.get(`refinv:${KEY}`);
    expect((await store.consume(KEY, policy, 3)).allowed).toBe(true);
    await store.refund(KEY, policy, 3);
    expect(await model.client.get(`refinv:${KEY}`)).toBe(before);
    await store.close();
  });

  it('never fills past the burst: a refund larger than what was taken leaves a full bucket and no key', async () => {
    const clock = new FakeClock();
    const store = new RedisStore({ client: model.client, clock, keyPrefix: 'refcap:', fleet: false });
    const policy = { rate: 5, burst: 10 };
    await store.consume(KEY, policy, 3);
    await store.refund(KEY, policy, 10);
    expect(await model.client.exists(`refcap:${KEY}`)).toBe(0);
    for (let i = 1; i <= 10; i++) expect(await store.consume(KEY, policy, 1)).toMatchObject({ allowed: true, remaining: 10 - i });
    expect((await store.consume(KEY, policy, 1)).allowed).toBe(false);
    await store.close();
  });

  it('is a no-op on a key never written (no key is created)', async () => {
    const store = new RedisStore({ client: model.client, clock: new FakeClock(), keyPrefix: 'refnone:', fleet: false });
    await store.refund(KEY, { rate: 5, burst: 10 }, 4);
    expect(await model.client.exists(`refnone:${KEY}`)).toBe(0);
    await store.close();
  });

  it('keeps the TTL of the consume script: time until full again (plus the test clock minute)', async () => {
    const clock = new FakeClock();
    const store = new RedisStore({ client: model.client, clock, keyPrefix: 'refttl:', fleet: false });
    const policy = { rate: 1, burst: 100 };
    await store.consume(KEY, policy, 50); // 50 s until full
    await store.refund(KEY, policy, 20); // 30 s until full
    const ttl = await model.client.pttl(`refttl:${KEY}`);
    // Real time passes between the SET and the PTTL, so only an upper bound and a coarse lower one.
    expect(ttl).toBeLessThanOrEqual(30_000 + 60_000);
    expect(ttl).toBeGreaterThan(50_000 + 30_000 - 60_000);
    await store.close();
  });

  it('on the Redis clock: a consume and its refund give the whole burst back', async () => {
    const store = new RedisStore({ client: model.client, keyPrefix: 'refreal:', fleet: false });
    const policy = { rate: 0.01, burst: 5 }; // refills one token per 100 s: nothing comes back by itself
    expect(await store.consume(KEY, policy, 5)).toMatchObject({ allowed: true, remaining: 0 });
    await store.refund(KEY, policy, 2);
    expect(await store.inspect(KEY, policy)).toMatchObject({ remaining: 2 });
    const ttl = await model.client.pttl(`refreal:${KEY}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300_000);
    await store.refund(KEY, policy, 3);
    expect(await store.inspect(KEY, policy)).toEqual({ limit: 5, remaining: 5, resetAfterMs: 0 });
    expect(await model.client.exists(`refreal:${KEY}`)).toBe(0);
    await store.close();
  });

  it('rejects a bad cost or policy with InvalidArgumentError, sending nothing', async () => {
    const store = new RedisStore({ client: model.client, clock: new FakeClock(), keyPrefix: 'refbad:', fleet: false });
    for (const cost of [0, -1, 1.5, Number.NaN]) await expect(store.refund(KEY, { rate: 5, burst: 10 }, cost)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(store.refund(KEY, { rate: 0, burst: 10 }, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await store.close();
  });
});
