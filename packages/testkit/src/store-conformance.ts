import { InvalidArgumentError } from '@aurum/ratelimit-core';
import { type BucketPolicy, gcraConsume, type RateLimitStore } from '@aurum/ratelimit-core/store';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from './fake-clock.js';
import { describeQuotaConformance } from './quota-conformance.js';

/** How to build the store under test. */
export interface StoreConformanceOptions {
  /** Shown in test names. */
  name: string;
  /** Builds a store whose time comes from `clock`. Called once per suite. */
  create: (clock: FakeClock) => RateLimitStore | Promise<RateLimitStore>;
  /**
   * Builds a store on its own clock (Redis `TIME`, `Date.now`), to prove real refill.
   * Omit when `create` already uses real time.
   */
  createRealtime?: () => RateLimitStore | Promise<RateLimitStore>;
  /** The store implements the optional `consumeAndAcquire`: check it too. */
  combined?: boolean;
  /**
   * The store must implement the optional `takeUpTo` and `refund` (quota leasing). Unset, their
   * cases run when the store has both and are skipped when it has neither.
   */
  quota?: boolean;
  /** Called after all tests, e.g. to stop a server. */
  dispose?: () => void | Promise<void>;
}

const FREE: BucketPolicy = { rate: 5, burst: 10 };

let seq = 0;
/** A fresh key per test so suites can share one store (and one Redis) safely. */
const freshKey = (suffix = 'b') => `{conf-${process.pid}-${Date.now().toString(36)}-${++seq}}:${suffix}`;

/**
 * The behaviour every {@link RateLimitStore} must have. Each store package calls this from a
 * ~10-line test file; see docs/writing-a-store.md.
 */
export function describeStoreConformance(options: StoreConformanceOptions): void {
  describe(`RateLimitStore conformance: ${options.name}`, () => {
    const clock = new FakeClock();
    let store: RateLimitStore;
    let key: string;

    beforeAll(async () => {
      store = await options.create(clock);
    });
    beforeEach(() => {
      key = freshKey();
    });
    afterAll(async () => {
      await store?.close();
      await options.dispose?.();
    });

    it('admits exactly the burst back to back, counting remaining down', async () => {
      for (let i = 1; i <= 10; i++) {
        const r = await store.consume(key, FREE, 1);
        expect(r).toMatchObject({ allowed: true, limit: 10, remaining: 10 - i, retryAfterMs: 0 });
      }
      const denied = await store.consume(key, FREE, 1);
      expect(denied).toMatchObject({ allowed: false, limit: 10, remaining: 0, retryAfterMs: 200, resetAfterMs: 2000 });
      expect(denied.reason).toBeUndefined();
    });

    it('refills at the rate and never beyond the burst', async () => {
      for (let i = 0; i < 10; i++) await store.consume(key, FREE, 1);
      clock.advance(1000);
      let admitted = 0;
      while ((await store.consume(key, FREE, 1)).allowed) admitted++;
      expect(admitted).toBe(5);
      clock.advance(3_600_000);
      admitted = 0;
      while ((await store.consume(key, FREE, 1)).allowed) admitted++;
      expect(admitted).toBe(10);
    });

    it('retryAfterMs is exact: one ms early is denied, on time is admitted', async () => {
      const policy = { rate: 3, burst: 2 };
      await store.consume(key, policy, 2);
      const denied = await store.consume(key, policy, 1);
      expect(denied.allowed).toBe(false);
      clock.advance(denied.retryAfterMs - 1);
      expect((await store.consume(key, policy, 1)).allowed).toBe(false);
      clock.advance(1);
      expect((await store.consume(key, policy, 1)).allowed).toBe(true);
    });

    it('charges a cost > 1 as that many tokens and denies what does not fit', async () => {
      expect(await store.consume(key, FREE, 4)).toMatchObject({ allowed: true, remaining: 6 });
      const denied = await store.consume(key, FREE, 7);
      expect(denied).toMatchObject({ allowed: false, remaining: 6, retryAfterMs: 200 });
      expect(await store.consume(key, FREE, 6)).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('denies a cost above the burst with a reason, without consuming', async () => {
      const r = await store.consume(key, FREE, 11);
      expect(r).toMatchObject({ allowed: false, reason: 'cost_exceeds_burst', remaining: 10 });
      expect(await store.consume(key, FREE, 1)).toMatchObject({ allowed: true, remaining: 9 });
    });

    it('rejects invalid cost and policy with InvalidArgumentError', async () => {
      for (const cost of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(store.consume(key, FREE, cost)).rejects.toBeInstanceOf(InvalidArgumentError);
      }
      for (const policy of [
        { rate: 0, burst: 1 },
        { rate: Number.NaN, burst: 1 },
        { rate: 1, burst: 0 },
        { rate: 1, burst: 2.5 },
      ]) {
        await expect(store.consume(key, policy, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
      }
    });

    it('keeps keys independent', async () => {
      const other = freshKey();
      for (let i = 0; i < 10; i++) await store.consume(key, FREE, 1);
      expect((await store.consume(key, FREE, 1)).allowed).toBe(false);
      expect(await store.consume(other, FREE, 1)).toMatchObject({ allowed: true, remaining: 9 });
    });

    it('inspect reads without consuming; an unknown key is full', async () => {
      expect(await store.inspect(key, FREE)).toEqual({ limit: 10, remaining: 10, resetAfterMs: 0 });
      await store.consume(key, FREE, 3);
      const a = await store.inspect(key, FREE);
      const b = await store.inspect(key, FREE);
      expect(a).toEqual({ limit: 10, remaining: 7, resetAfterMs: 600 });
      expect(b).toEqual(a);
      expect(await store.consume(key, FREE, 1)).toMatchObject({ remaining: 6 });
    });

    it('reset forgets the bucket and the leases', async () => {
      for (let i = 0; i < 10; i++) await store.consume(key, FREE, 1);
      await store.acquire(key, 1, 60_000);
      await store.reset(key);
      expect(await store.consume(key, FREE, 1)).toMatchObject({ allowed: true, remaining: 9 });
      expect(await store.countLeases(key)).toBe(0);
      await store.reset(freshKey()); // unknown key: no error
    });

    it('gives the same decisions as the core math on a scripted sequence (memory/Redis parity)', async () => {
      const policies: BucketPolicy[] = [FREE, { rate: 3, burst: 4 }, { rate: 0.5, burst: 2 }, { rate: 1000, burst: 1000 }];
      const steps: Array<[advanceMs: number, cost: number, policy: number]> = [
        [0, 1, 0],
        [0, 3, 0],
        [0, 7, 0],
        [50, 1, 0],
        [199, 1, 0],
        [1, 2, 0],
        [333, 1, 1],
        [0, 4, 1],
        [1, 1, 1],
        [2000, 2, 2],
        [1, 1, 2],
        [1999, 1, 2],
        [0, 500, 3],
        [0, 600, 3],
        [17, 20, 3],
        [0, 11, 0],
        [10_000, 10, 0],
      ];
      let tat: number | undefined;
      for (const [advance, cost, p] of steps) {
        clock.advance(advance);
        const policy = policies[p] as BucketPolicy;
        const expected = gcraConsume(tat, Math.round(clock.now() * 1000), policy, cost);
        tat = expected.tatUs;
        expect(await store.consume(key, policy, cost), `step +${advance}ms cost ${cost}`).toEqual(expected.result);
      }
    });

    it('decides calls issued together in order, the same key several times included (one batch for a batching store)', async () => {
      const other = freshKey();
      const policy = { rate: 5, burst: 4 };
      const calls: Array<[string, number]> = [
        [key, 1],
        [other, 2],
        [key, 2],
        [key, 1],
        [other, 3],
        [key, 1],
        [key, 5],
        [other, 1],
      ];
      // Not awaited one by one: a store that batches decides them all in one call.
      const results = await Promise.all(calls.map(([k, cost]) => store.consume(k, policy, cost)));
      const now = Math.round(clock.now() * 1000);
      const tats = new Map<string, number>();
      calls.forEach(([k, cost], i) => {
        const expected = gcraConsume(tats.get(k), now, policy, cost);
        tats.set(k, expected.tatUs);
        expect(results[i], `call ${i}: ${k === key ? 'key' : 'other'} cost ${cost}`).toEqual(expected.result);
      });
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, true, false, false, false, true]);
    });

    it('grants leases up to the limit, denies the next, and frees on release', async () => {
      const a = await store.acquire(key, 2, 60_000);
      const b = await store.acquire(key, 2, 60_000);
      expect(a).toMatchObject({ allowed: true, active: 1, limit: 2 });
      expect(b).toMatchObject({ allowed: true, active: 2, limit: 2 });
      expect(a.leaseId).not.toBe(b.leaseId);
      const c = await store.acquire(key, 2, 60_000);
      expect(c).toMatchObject({ allowed: false, active: 2, limit: 2 });
      expect(c.leaseId).toBeUndefined();
      await store.release(key, a.leaseId as string);
      expect(await store.countLeases(key)).toBe(1);
      expect((await store.acquire(key, 2, 60_000)).allowed).toBe(true);
    });

    it('release is idempotent and ignores unknown leases', async () => {
      const a = await store.acquire(key, 1, 60_000);
      await store.release(key, a.leaseId as string);
      await store.release(key, a.leaseId as string);
      await store.release(key, 'no-such-lease');
      await store.release(freshKey(), 'no-such-lease');
      expect(await store.countLeases(key)).toBe(0);
      expect((await store.acquire(key, 1, 60_000)).allowed).toBe(true);
    });

    it('expires a lease that is never released (crashed process)', async () => {
      await store.acquire(key, 1, 5_000);
      expect((await store.acquire(key, 1, 5_000)).allowed).toBe(false);
      clock.advance(5_001);
      expect(await store.countLeases(key)).toBe(0);
      expect((await store.acquire(key, 1, 5_000)).allowed).toBe(true);
    });

    // Registered only for stores that have it, so other stores show no skipped tests.
    if (options.combined)
      describe('consumeAndAcquire (decision and lease in one operation)', () => {
        const leaseKeyOf = (k: string) => k.replace(/:b$/, ':c');
        const admit = (k: string, limit: number, always = false, cost = 1) =>
          (store.consumeAndAcquire as NonNullable<RateLimitStore['consumeAndAcquire']>).call(store, {
            key: k,
            policy: FREE,
            cost,
            leaseKey: leaseKeyOf(k),
            limit,
            leaseMs: 60_000,
            leaseAlways: always,
          });

        it('decides exactly like consume and takes a lease only after an allowed decision', async () => {
          const twin = freshKey();
          for (let i = 1; i <= 11; i++) {
            const { decision, lease } = await admit(key, 100);
            expect(decision).toEqual(await store.consume(twin, FREE, 1));
            if (i <= 10) expect(lease).toMatchObject({ allowed: true, active: i, limit: 100 });
            else expect(lease).toBeUndefined();
          }
          expect(await store.countLeases(leaseKeyOf(key))).toBe(10);
          // The lease is an ordinary lease: release frees it.
          const { lease } = await admit(freshKey(), 1);
          expect(lease?.leaseId).toBeTypeOf('string');
        });

        it('refuses the lease at the limit but keeps the decision, and leaseAlways takes one after a denial', async () => {
          const first = await admit(key, 1);
          expect(first.lease).toMatchObject({ allowed: true, active: 1 });
          const second = await admit(key, 1);
          expect(second.decision.allowed).toBe(true);
          expect(second.lease).toMatchObject({ allowed: false, active: 1, limit: 1 });
          expect(second.lease?.leaseId).toBeUndefined();
          await store.release(leaseKeyOf(key), first.lease?.leaseId as string);
          for (let i = 0; i < 8; i++) await store.consume(key, FREE, 1);
          const denied = await admit(key, 5, true);
          expect(denied.decision.allowed).toBe(false);
          expect(denied.lease).toMatchObject({ allowed: true, active: 1 });
        });

        it('decides decisions and leases issued together in order, on the same key too', async () => {
          const results = await Promise.all([
            admit(key, 2),
            admit(key, 2, false, 5),
            store.consume(key, FREE, 4).then((decision) => ({ decision, lease: 'none' })),
            admit(key, 2),
            admit(key, 2, true, 2),
          ]);
          expect(results.map((r) => [r.decision, r.lease])).toEqual([
            [expect.objectContaining({ allowed: true, remaining: 9 }), expect.objectContaining({ allowed: true, active: 1 })],
            [expect.objectContaining({ allowed: true, remaining: 4 }), expect.objectContaining({ allowed: true, active: 2 })],
            [expect.objectContaining({ allowed: true, remaining: 0 }), 'none'],
            [expect.objectContaining({ allowed: false, remaining: 0 }), undefined],
            [expect.objectContaining({ allowed: false, remaining: 0 }), expect.objectContaining({ allowed: false, active: 2 })],
          ]);
        });

        it('rejects a bad limit or cost with InvalidArgumentError', async () => {
          await expect(admit(key, 0)).rejects.toBeInstanceOf(InvalidArgumentError);
          await expect(admit(key, 1, false, 0)).rejects.toBeInstanceOf(InvalidArgumentError);
        });
      });

    describeQuotaConformance({ store: () => store, clock, freshKey, required: options.quota });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    if (options.createRealtime) {
      const createRealtime = options.createRealtime;
      it('refills on its own clock', async () => {
        const realtime = await createRealtime();
        try {
          const policy = { rate: 100, burst: 2 };
          await realtime.consume(key, policy, 2);
          const denied = await realtime.consume(key, policy, 1);
          expect(denied.allowed).toBe(false);
          expect(denied.retryAfterMs).toBeGreaterThan(0);
          expect(denied.retryAfterMs).toBeLessThanOrEqual(10);
          await new Promise((r) => setTimeout(r, denied.retryAfterMs + 5));
          expect((await realtime.consume(key, policy, 1)).allowed).toBe(true);
        } finally {
          await realtime.close();
        }
      });
    }

    it('close is idempotent', async () => {
      const extra = await options.create(new FakeClock());
      await extra.close();
      await expect(extra.close()).resolves.toBeUndefined();
    });
  });
}
