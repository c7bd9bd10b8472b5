// Store conformance for quota leasing (issue 13): the optional takeUpTo and refund, and a
// manager leasing a hot tenant's tokens from the store under test. Run by describeStoreConformance.
import { createRateLimitManager, InvalidArgumentError } from '@aurum/ratelimit-core';
import { type BucketPolicy, gcraConsume, gcraRefund, gcraTakeUpTo, type RateLimitStore } from '@aurum/ratelimit-core/store';
import { describe, expect, it, type TestContext } from 'vitest';
import type { FakeClock } from './fake-clock.js';
import { waitFor } from './http-client.js';
import { ManualTimers } from './manual-timers.js';
import { SLOW_TEST_MS } from './test-budget.js';

type Take = NonNullable<RateLimitStore['takeUpTo']>;
type Refund = NonNullable<RateLimitStore['refund']>;

/** What the lease cases need from the suite that runs them. */
export interface QuotaConformanceContext {
  store: () => RateLimitStore;
  clock: FakeClock;
  freshKey: () => string;
  /** true: the store must implement takeUpTo and refund; otherwise the cases skip a store without them. */
  required: boolean | undefined;
}

const FREE: BucketPolicy = { rate: 5, burst: 10 };

export function describeQuotaConformance({ store, clock, freshKey, required }: QuotaConformanceContext): void {
  /** The store's take and refund, or a skip (a failure when the suite requires them). */
  const capable = (ctx: TestContext) => {
    const s = store();
    const ok = typeof s.takeUpTo === 'function' && typeof s.refund === 'function';
    if (!ok && required) throw new Error(`${s.name} must implement takeUpTo and refund`);
    if (!ok) ctx.skip();
    return {
      take: (key: string, policy: BucketPolicy, min: number, max: number) => (s.takeUpTo as Take).call(s, key, policy, min, max),
      refund: (key: string, policy: BucketPolicy, cost: number) => (s.refund as Refund).call(s, key, policy, cost),
      s,
    };
  };

  describe('quota leasing: takeUpTo and refund', () => {
    it('take grants up to max, never more than the bucket holds', async (ctx) => {
      const { take, s } = capable(ctx);
      const key = freshKey();
      expect(await take(key, FREE, 1, 4)).toMatchObject({ allowed: true, granted: 4, limit: 10, remaining: 6, retryAfterMs: 0 });
      expect(await take(key, FREE, 1, 100)).toMatchObject({ allowed: true, granted: 6, remaining: 0 });
      expect(await s.consume(key, FREE, 1)).toMatchObject({ allowed: false, retryAfterMs: 200 });
    });

    it('take denies when fewer than min are there, taking nothing, with the retryAfter of a consume of min', async (ctx) => {
      const { take, s } = capable(ctx);
      const key = freshKey();
      await s.consume(key, FREE, 8);
      expect(await take(key, FREE, 3, 5)).toEqual({ allowed: false, granted: 0, limit: 10, remaining: 2, retryAfterMs: 200, resetAfterMs: 1600 });
      expect(await s.consume(key, FREE, 2)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('tokens taken are spent: others can consume only what is left, and the bucket refills at its rate', async (ctx) => {
      const { take, s } = capable(ctx);
      const key = freshKey();
      await take(key, FREE, 1, 7);
      expect((await s.consume(key, FREE, 4)).allowed).toBe(false);
      expect(await s.consume(key, FREE, 3)).toMatchObject({ allowed: true, remaining: 0 });
      clock.advance(400);
      expect(await take(key, FREE, 1, 10)).toMatchObject({ allowed: true, granted: 2, remaining: 0 });
    });

    it('refund is the exact inverse of a consume or a take', async (ctx) => {
      const { take, refund, s } = capable(ctx);
      const key = freshKey();
      const twin = freshKey();
      await s.consume(key, FREE, 2);
      await s.consume(twin, FREE, 2);
      const taken = await take(key, FREE, 1, 5);
      await refund(key, FREE, taken.granted);
      await s.consume(key, FREE, 3);
      await refund(key, FREE, 3);
      expect(await s.inspect(key, FREE)).toEqual(await s.inspect(twin, FREE));
      expect(await s.consume(key, FREE, 1)).toEqual(await s.consume(twin, FREE, 1));
    });

    it('refund never fills past the burst, and is a no-op on a key never written', async (ctx) => {
      const { refund, s } = capable(ctx);
      const key = freshKey();
      await s.consume(key, FREE, 3);
      await refund(key, FREE, 50);
      expect(await s.inspect(key, FREE)).toEqual({ limit: 10, remaining: 10, resetAfterMs: 0 });
      const unknown = freshKey();
      await refund(unknown, FREE, 5);
      for (let i = 1; i <= 10; i++) expect(await s.consume(unknown, FREE, 1)).toMatchObject({ allowed: true, remaining: 10 - i });
      expect((await s.consume(unknown, FREE, 1)).allowed).toBe(false);
    });

    it('gives the same answers as the core math on a scripted sequence of takes, consumes and refunds', async (ctx) => {
      const { take, refund, s } = capable(ctx);
      const key = freshKey();
      const policy = { rate: 3, burst: 8 };
      type Step = [advanceMs: number, op: 'take', min: number, max: number] | [advanceMs: number, op: 'consume' | 'refund', cost: number];
      const steps: Step[] = [
        [0, 'take', 1, 3],
        [0, 'consume', 2],
        [100, 'take', 2, 20],
        [0, 'take', 1, 1],
        [333, 'take', 1, 5],
        [1, 'refund', 2],
        [0, 'take', 3, 4],
        [0, 'refund', 20],
        [5000, 'take', 9, 12],
        [0, 'take', 8, 8],
        [10, 'consume', 1],
      ];
      let tat: number | undefined;
      for (const [i, step] of steps.entries()) {
        clock.advance(step[0]);
        const now = Math.round(clock.now() * 1000);
        if (step[1] === 'take') {
          const expected = gcraTakeUpTo(tat, now, policy, step[2], step[3]);
          if (expected.granted > 0) tat = gcraConsume(tat, now, policy, expected.granted).tatUs;
          expect(await take(key, policy, step[2], step[3]), `step ${i}`).toEqual(expected);
        } else if (step[1] === 'consume') {
          const expected = gcraConsume(tat, now, policy, step[2]);
          tat = expected.tatUs;
          expect(await s.consume(key, policy, step[2]), `step ${i}`).toEqual(expected.result);
        } else {
          tat = gcraRefund(tat, now, policy, step[2]);
          await refund(key, policy, step[2]);
        }
      }
    });

    it('rejects a bad min, max, cost or policy with InvalidArgumentError', async (ctx) => {
      const { take, refund } = capable(ctx);
      const key = freshKey();
      for (const [min, max] of [
        [0, 5],
        [3, 2],
        [1, 2.5],
      ])
        await expect(take(key, FREE, min as number, max as number)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(refund(key, FREE, 0)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(refund(key, { rate: 0, burst: 1 }, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    });

    describe('a manager leasing a hot tenant from this store', () => {
      // 10 tokens/s and a burst of 1000: a lease lives 1 s, the reserved burst is 990, and the
      // bucket barely refills during a test, so returned tokens cannot pass for refilled ones.
      const QUOTA = { tier: 'enterprise' as const, requestsPerSecond: 10, burstSize: 1000 };
      const RESERVED = 990;
      let seq = 0;

      /** Two instances on the store under test; `hot` is leased once one of them sees it often. */
      const fleet = (s: RateLimitStore) => {
        const tenant = `hot-${process.pid}-${Date.now().toString(36)}-${++seq}`;
        const timers = new ManualTimers(clock);
        const managers = [0, 1].map(() =>
          createRateLimitManager({
            env: false,
            clock,
            timers,
            store: unclosable(s),
            load: { enabled: false },
            leasing: { minRate: 1, threshold: 5 },
            overrides: { [tenant]: QUOTA },
            logger: { debug() {}, info() {}, warn() {}, error() {} },
          }),
        );
        const advance = (ms: number) => {
          clock.advance(ms);
          timers.run();
        };
        return { tenant, managers: managers as [(typeof managers)[0], (typeof managers)[0]], advance };
      };

      /** The bucket as the store holds it: admitted tokens only, at 10/s since `start`. */
      const levelAfter = (admitted: number, start: number) =>
        Math.min(RESERVED, Math.floor(RESERVED - admitted + ((clock.now() - start) * QUOTA.requestsPerSecond) / 1000));

      it('an unspent lease holds tokens others cannot consume; when it ends they come back exactly', { timeout: SLOW_TEST_MS }, async (ctx) => {
        const { s } = capable(ctx);
        const { tenant, managers, advance } = fleet(s);
        const [a, b] = managers;
        const start = clock.now();
        let admitted = 0;
        let leased = 0;
        // 150 requests 2 ms apart: hot after the first 100 ms, then served from leases.
        for (let i = 0; i < 150; i++) {
          const d = await a.checkRateLimit(tenant);
          if (d.allowed) admitted++;
          if (d.metadata.source === 'lease') leased++;
          advance(2);
        }
        expect(leased, 'the hot tenant is decided from leased tokens').toBeGreaterThan(50);
        // Another instance sees the bucket less what the lease holds, not only what was admitted.
        await waitFor(async () => (await b.getTenantStatus(tenant)).remaining < levelAfter(admitted, start), 5_000, 'the lease to be taken');
        expect((await b.getTenantStatus(tenant)).remaining).toBeLessThan(levelAfter(admitted, start));
        advance(1_100); // every lease has ended; the sweep gives the unspent tokens back
        await waitFor(async () => (await b.getTenantStatus(tenant)).remaining === levelAfter(admitted, start), 5_000, 'the unspent tokens to return');
        await Promise.all(managers.map((m) => m.close()));
      });

      it('a reset drops the lease: the next request takes a new batch from the full bucket', async (ctx) => {
        const { s } = capable(ctx);
        const { tenant, managers, advance } = fleet(s);
        const [a, b] = managers;
        for (let i = 0; i < 150; i++) {
          await a.checkRateLimit(tenant);
          advance(2);
        }
        expect((await a.checkRateLimit(tenant)).metadata.source).toBe('lease');
        await a.resetTenant(tenant);
        expect((await b.getTenantStatus(tenant)).remaining).toBe(RESERVED);
        // Not the old batch: a fresh take, so the answer counts from the full bucket.
        const after = await a.checkRateLimit(tenant);
        expect(after).toMatchObject({ allowed: true });
        expect(after.metadata.remaining).toBe(RESERVED - 1);
        await Promise.all(managers.map((m) => m.close()));
      });
    });
  });
}

/** `store` as a manager may hold it: closing the manager leaves the suite's shared store open. */
function unclosable(store: RateLimitStore): RateLimitStore {
  return new Proxy(store, {
    get(target, name) {
      if (name === 'close') return async () => {};
      const value = Reflect.get(target, name, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
