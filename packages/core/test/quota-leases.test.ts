/**
 * Quota leasing (issue 13), on instances that share one store (several managers on one memory
 * store, a fake clock): a hot tenant's decisions come from leased tokens, the store is asked
 * about once per batch, the fleet never admits more than burst + rate × elapsed over any window,
 * and resets, override changes and shutdown give or drop what is held.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BucketPolicy, TakeResult } from '../src/algorithms/gcra.js';
import { createRateLimitManager, MemoryStore, type RateLimitManagerOptions } from '../src/index.js';
import { leaseLifeMs, reservedPolicy } from '../src/manager/quota-leases.js';
import { FakeClock, ManualTimers } from './support.js';

/** A memory store counting the calls that would be round trips to a shared store. */
class CountingStore extends MemoryStore {
  calls = { consume: 0, takeUpTo: 0, refund: 0 };
  override consumeSync(...args: Parameters<MemoryStore['consumeSync']>) {
    this.calls.consume++;
    return super.consumeSync(...args);
  }
  override async takeUpTo(key: string, policy: BucketPolicy, min: number, max: number): Promise<TakeResult> {
    this.calls.takeUpTo++;
    return super.takeUpTo(key, policy, min, max);
  }
  override async refund(key: string, policy: BucketPolicy, cost: number): Promise<void> {
    this.calls.refund++;
    return super.refund(key, policy, cost);
  }
}

const HOT = { tier: 'enterprise' as const, requestsPerSecond: 1000, burstSize: 1000 };

function fleet<S extends CountingStore = CountingStore>(
  instances: number,
  options: RateLimitManagerOptions = {},
  makeStore: (clock: FakeClock) => S = (clock) => new CountingStore({ clock, sweepIntervalMs: 0 }) as S,
) {
  const clock = new FakeClock();
  const timers = new ManualTimers(clock);
  const store = makeStore(clock);
  const managers = Array.from({ length: instances }, () =>
    createRateLimitManager({
      env: false,
      clock,
      timers,
      store,
      load: { enabled: false },
      leasing: { threshold: 50 },
      overrides: { hot: HOT },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      ...options,
    }),
  );
  const advance = (ms: number) => {
    clock.advance(ms);
    timers.run();
  };
  return { clock, timers, store, managers, advance };
}

describe('who is leased', () => {
  it('tenants of at least minRate outside excluded tiers, for 5 % of their window, at most maxLeaseMs', () => {
    const leasing = { minRate: 1000, threshold: 100, burstShare: 0.05, maxLeaseMs: 1000, excludeTiers: ['free'] };
    const q = (rps: number, burst: number) => ({ requestsPerSecond: rps, burstSize: burst, maxConcurrentRequests: 10, priorityBoost: 1 });
    expect(leaseLifeMs(leasing, 'enterprise', q(20_000, 20_000))).toBe(50);
    expect(leaseLifeMs(leasing, 'enterprise', q(1000, 100_000))).toBe(1000);
    expect(leaseLifeMs(leasing, 'enterprise', q(999, 100_000))).toBe(0);
    expect(leaseLifeMs(leasing, 'free', q(20_000, 20_000))).toBe(0);
    expect(leaseLifeMs(leasing, 'enterprise', q(20_000, 1000))).toBe(0); // a 2.5 ms lease is not worth it
    expect(leaseLifeMs(false, 'enterprise', q(20_000, 20_000))).toBe(0);
    expect(reservedPolicy({ rate: 20_000, burst: 20_000 }, 50)).toEqual({ rate: 20_000, burst: 19_000, shownBurst: 20_000 });
  });

  it('is off unless asked for, even on a shared store; set on, it needs a store that can take', async () => {
    const { RateLimitConfigError } = await import('../src/index.js');
    expect(createRateLimitManager({ env: false }).config.leasing).toBe(false);
    const shared = new MemoryStore();
    (shared as { local?: boolean }).local = false;
    expect(createRateLimitManager({ env: false, store: shared }).config.leasing).toBe(false);
    expect(createRateLimitManager({ env: { AURUM_API_RATE_LIMIT_LEASING: 'true' }, store: shared }).config.leasing).toMatchObject({ minRate: 1000 });
    expect(createRateLimitManager({ env: false, leasing: true }).config.leasing).toMatchObject({ minRate: 1000 });
    const noTake = new MemoryStore();
    (noTake as { takeUpTo?: unknown }).takeUpTo = undefined;
    expect(() => createRateLimitManager({ env: false, store: noTake, leasing: true })).toThrow(RateLimitConfigError);
    expect(() => createRateLimitManager({ env: false, leasing: { burstShare: 0.9, excludeTiers: ['gold'] } as never })).toThrow(
      /leasing.burstShare[\s\S]*leasing.excludeTiers\[0\]/,
    );
  });

  it('runs a leased tenant on the reserved policy on every instance, hot or not; others on their own', async () => {
    const { managers } = fleet(1);
    const m = managers[0] as (typeof managers)[0];
    // Decided on 950 (1000 less 1000/s × its 50 ms lease life), reported with the quota's 1000.
    const hot = await m.checkRateLimit('hot');
    expect(hot.metadata.limit).toBe(1000);
    expect(hot.metadata.remaining).toBe(949);
    expect((await m.checkRateLimit('cold-enterprise')).metadata.limit).toBe(10);
    await m.close();
  });
});

describe('a hot tenant', () => {
  it('is decided from leased tokens: about one store call per batch, not per request', async () => {
    const { managers, store, advance } = fleet(1);
    const m = managers[0] as (typeof managers)[0];
    const sources: Record<string, number> = {};
    // 400 requests/s for 2 s, one per 2.5 ms (0.5 ms steps of the fake clock).
    for (let i = 0; i < 800; i++) {
      const d = await m.checkRateLimit('hot');
      expect(d.allowed).toBe(true);
      sources[d.metadata.source] = (sources[d.metadata.source] ?? 0) + 1;
      advance(i % 2 === 0 ? 2 : 3);
    }
    expect(sources.lease).toBeGreaterThan(700);
    const roundTrips = store.calls.consume + store.calls.takeUpTo + store.calls.refund;
    expect(roundTrips / 800).toBeLessThan(0.2);
    await m.close();
  });

  it('gives unspent tokens back when the lease ends, and at shutdown', async () => {
    const { managers, store, advance } = fleet(1);
    const m = managers[0] as (typeof managers)[0];
    for (let i = 0; i < 100; i++) {
      await m.checkRateLimit('hot');
      advance(2);
    }
    const held = async () => 950 - (await m.getTenantStatus('hot')).remaining;
    advance(200); // every lease has ended and the sweep ran
    expect(store.calls.refund).toBeGreaterThan(0);
    // Only what was spent is gone from the shared bucket (less what refilled meanwhile).
    expect(await held()).toBe(0);
    for (let i = 0; i < 60; i++) {
      await m.checkRateLimit('hot');
      advance(2);
    }
    const before = store.calls.refund;
    await m.close();
    expect(store.calls.refund).toBe(before + 1);
  });

  it('drops what it holds on a reset, and when a changed override changes its policy', async () => {
    const { managers, advance, store } = fleet(1);
    const m = managers[0] as (typeof managers)[0];
    for (let i = 0; i < 100; i++) {
      await m.checkRateLimit('hot');
      advance(2);
    }
    expect((await m.checkRateLimit('hot')).metadata.source).toBe('lease');
    const takes = store.calls.takeUpTo;
    await m.resetTenant('hot');
    // The held batch is gone: the next request takes a new one from the (full again) bucket.
    const after = await m.checkRateLimit('hot');
    expect(store.calls.takeUpTo).toBe(takes + 1);
    expect(after.metadata.remaining).toBe(949);
    for (let i = 0; i < 100; i++) {
      await m.checkRateLimit('hot');
      advance(2);
    }
    const before = store.calls.takeUpTo;
    await m.setTenantOverride('hot', { tier: 'enterprise', requestsPerSecond: 2000, burstSize: 400 });
    const d = await m.checkRateLimit('hot');
    expect(d.metadata.limit).toBe(400);
    // Decided on 400 less 2000/s × its 10 ms lease life (less what the revoked lease still held).
    expect(d.metadata.remaining).toBeLessThanOrEqual(379);
    // The batch of the old quota is not spent: the new quota is decided by the store until it is hot again.
    expect(d.metadata.source).not.toBe('lease');
    expect(store.calls.takeUpTo).toBe(before);
    await m.close();
  });
});

describe('exactness across instances', () => {
  it('never admits more than burst + rate × elapsed over any window, whatever the arrivals', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ instance: fc.integer({ min: 0, max: 2 }), gapMs: fc.integer({ min: 0, max: 4 }), cost: fc.integer({ min: 1, max: 3 }) }), {
          minLength: 200,
          maxLength: 600,
        }),
        async (arrivals) => {
          const rate = 400;
          const burst = 200;
          const { managers, advance, clock } = fleet(3, {
            overrides: { hot: { tier: 'enterprise', requestsPerSecond: rate, burstSize: burst } },
            leasing: { threshold: 20, minRate: 100 },
          });
          const admitted: Array<{ at: number; cost: number }> = [];
          const start = clock.now();
          for (const a of arrivals) {
            const d = await (managers[a.instance] as (typeof managers)[0]).checkRateLimit('hot', '/', { cost: a.cost });
            if (d.allowed) admitted.push({ at: clock.now(), cost: a.cost });
            advance(a.gapMs);
          }
          await Promise.all(managers.map((m) => m.close()));
          const total = admitted.reduce((n, x) => n + x.cost, 0);
          expect(total).toBeLessThanOrEqual(burst + (rate * (clock.now() - start)) / 1000);
          // Every window that starts at an admission: at most burst + rate × its length.
          for (let i = 0; i < admitted.length; i++) {
            let sum = 0;
            for (let j = i; j < admitted.length; j++) {
              sum += (admitted[j] as { cost: number }).cost;
              const span = (admitted[j] as { at: number }).at - (admitted[i] as { at: number }).at;
              expect(sum).toBeLessThanOrEqual(burst + (rate * span) / 1000 + 1e-9);
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});

describe('while the shared store is out', () => {
  it('reports what the fallback decided as the fallback, not as a lease, and holds nothing', async () => {
    /** A store whose takes are answered by a fallback, as the resilient wrapper's are during an outage. */
    class FallbackTakes extends CountingStore {
      override async takeUpTo(key: string, policy: BucketPolicy, min: number, max: number) {
        const result = await super.takeUpTo(key, policy, min, max);
        return { ...result, granted: result.allowed ? min : 0, source: 'fallback' as const };
      }
    }
    const { managers, clock, timers, store } = fleet(1, {}, (clock) => new FallbackTakes({ clock, sweepIntervalMs: 0 }));
    const m = managers[0] as (typeof managers)[0];
    const sources = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const d = await m.checkRateLimit('hot');
      sources.set(d.metadata.source, (sources.get(d.metadata.source) ?? 0) + 1);
      clock.advance(2);
      timers.run();
    }
    expect(sources.get('lease')).toBeUndefined();
    expect(sources.get('fallback')).toBeGreaterThan(0);
    await m.close();
    expect(store.calls.refund).toBe(0);
  });
});

describe('a take slower than a lease life', () => {
  it('admits the requests that waited for it, lets no later request spend it, and gives the rest back', async () => {
    /** Takes decided when called (as Redis would) but answered only when the test says so. */
    class SlowTakes extends CountingStore {
      slow = false;
      readonly replies: Array<() => void> = [];
      override async takeUpTo(key: string, policy: BucketPolicy, min: number, max: number): Promise<TakeResult> {
        const result = await super.takeUpTo(key, policy, min, max);
        if (this.slow) await new Promise<void>((resolve) => this.replies.push(resolve));
        return result;
      }
    }
    const { managers, clock, timers, store } = fleet(1, {}, (clock) => new SlowTakes({ clock, sweepIntervalMs: 0 }));
    const m = managers[0] as (typeof managers)[0];
    // Hot: 500 requests/s for 0.4 s, until its held batches are spent.
    for (let i = 0; i < 200; i++) {
      await m.checkRateLimit('hot');
      clock.advance(2);
      timers.run();
    }
    let exercised = false;
    for (let i = 0; i < 500 && !exercised; i++) {
      store.slow = true;
      const pending = [m.checkRateLimit('hot'), m.checkRateLimit('hot'), m.checkRateLimit('hot')];
      if (store.replies.length === 0) {
        await Promise.all(pending);
        clock.advance(2);
        timers.run();
        continue;
      }
      // The reply comes 120 ms later: the batch has outlived its 50 ms lease life on arrival.
      clock.advance(120);
      const takes = store.calls.takeUpTo;
      for (const reply of store.replies.splice(0)) reply();
      const decisions = await Promise.all(pending);
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true]);
      expect(decisions.every((d) => d.metadata.source === 'lease')).toBe(true);
      expect(store.calls.takeUpTo).toBe(takes); // one take served all three
      // A later request does not spend the late batch: it is given back.
      store.slow = false;
      const refunds = store.calls.refund;
      await m.checkRateLimit('hot');
      expect(store.calls.refund).toBeGreaterThan(refunds);
      exercised = true;
    }
    expect(exercised).toBe(true);
    await m.close();
  });

  it('at a steady rate, takes the next batch beside the current one instead of refunding per take', async () => {
    const { managers, store, advance } = fleet(1);
    const m = managers[0] as (typeof managers)[0];
    for (let i = 0; i < 2000; i++) {
      await m.checkRateLimit('hot');
      advance(i % 2 === 0 ? 2 : 3);
    }
    expect(store.calls.takeUpTo).toBeGreaterThan(10);
    expect(store.calls.refund).toBeLessThan(store.calls.takeUpTo / 4);
    await m.close();
  });
});

describe('a hot tenant over its rate', () => {
  it('is refused locally by requests that waited for a take that emptied the bucket, not by a round trip each', async () => {
    const { managers, store, advance } = fleet(1);
    const m = managers[0] as (typeof managers)[0];
    for (let i = 0; i < 100; i++) {
      await m.checkRateLimit('hot');
      advance(2);
    }
    // Drain the bucket: no clock time passes, so nothing refills.
    for (let i = 0; i < 2000 && (await m.checkRateLimit('hot')).allowed; i++);
    advance(1); // one token's worth of refill (1000/s)
    const takes = store.calls.takeUpTo + store.calls.consume;
    const burst = await Promise.all(Array.from({ length: 50 }, () => m.checkRateLimit('hot')));
    expect(burst.filter((d) => d.allowed).length).toBeLessThanOrEqual(1);
    expect(burst.every((d) => d.allowed || d.retryAfter >= 1)).toBe(true);
    expect(store.calls.takeUpTo + store.calls.consume - takes).toBeLessThanOrEqual(2);
    await m.close();
  });
});

describe('status of a leased tenant', () => {
  it('reports the quota’s own burst as limit, like its decisions', async () => {
    const { managers } = fleet(1);
    const m = managers[0] as (typeof managers)[0];
    await m.checkRateLimit('hot');
    const status = await m.getTenantStatus('hot');
    expect(status.limit).toBe(1000);
    expect(status.remaining).toBe(949); // decided on the reserved 950
    await m.close();
  });
});
