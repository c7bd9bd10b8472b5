import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createRateLimitManager, loadFactor, type LoadOptions, type RateLimitManagerOptions } from '../src/index.js';
import { LoadMonitor } from '../src/load/load-monitor.js';
import { eventLoopUtilization } from '../src/load/signals.js';
import { busyLoop, FakeClock, idleLoop, issueKeys, ManualTimers, thrown } from './support.js';

const thresholdArb = fc.double({ min: 0, max: 0.99, noNaN: true });
const minFactorArb = fc.double({ min: 0.01, max: 1, noNaN: true });
const boostArb = fc.double({ min: 0.1, max: 5, noNaN: true });
const loadArb = fc.double({ min: 0, max: 1, noNaN: true });

describe('loadFactor', () => {
  it('is 1 up to the threshold and minFactor at full load for a neutral boost', () => {
    expect(loadFactor(0, 0.8, 0.1, 1)).toBe(1);
    expect(loadFactor(0.8, 0.8, 0.1, 1)).toBe(1);
    expect(loadFactor(0.9, 0.8, 0.1, 1)).toBeCloseTo(0.55, 10);
    expect(loadFactor(1, 0.8, 0.1, 1)).toBeCloseTo(0.1, 10);
  });

  it('never changes below (or at) the threshold', () => {
    fc.assert(
      fc.property(thresholdArb, minFactorArb, boostArb, fc.double({ min: 0, max: 1, noNaN: true }), (threshold, minFactor, boost, frac) => {
        expect(loadFactor(threshold * frac, threshold, minFactor, boost)).toBe(1);
      }),
    );
  });

  it('never rises with load', () => {
    fc.assert(
      fc.property(thresholdArb, minFactorArb, boostArb, loadArb, loadArb, (threshold, minFactor, boost, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(loadFactor(hi, threshold, minFactor, boost)).toBeLessThanOrEqual(loadFactor(lo, threshold, minFactor, boost));
      }),
    );
  });

  it('never cuts a higher priorityBoost more than a lower one', () => {
    fc.assert(
      fc.property(thresholdArb, minFactorArb, boostArb, boostArb, loadArb, (threshold, minFactor, a, b, load) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(loadFactor(load, threshold, minFactor, hi)).toBeGreaterThanOrEqual(loadFactor(load, threshold, minFactor, lo));
      }),
    );
  });

  it('stays within (0, 1]', () => {
    fc.assert(
      fc.property(thresholdArb, minFactorArb, boostArb, loadArb, (threshold, minFactor, boost, load) => {
        const f = loadFactor(load, threshold, minFactor, boost);
        expect(f).toBeGreaterThan(0);
        expect(f).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('treats NaN load as no load', () => {
    expect(loadFactor(Number.NaN, 0.8, 0.1, 1)).toBe(1);
  });
});

describe('LoadMonitor', () => {
  it('samples on its own interval, off the request path', () => {
    const clock = new FakeClock();
    const timers = new ManualTimers(clock);
    let value = 0.5;
    const signal = vi.fn(() => value);
    // seed: this signal reads a current state, so its first reading counts at once.
    const monitor = new LoadMonitor(signal, 1000, clock, undefined, 0, undefined, true);
    monitor.start(timers);
    expect(monitor.load).toBe(0.5);
    value = 0.9;
    for (let i = 0; i < 10; i++) expect(monitor.load).toBe(0.5); // reads never sample
    clock.advance(999);
    timers.run();
    expect(monitor.load).toBe(0.5);
    clock.advance(1);
    timers.run();
    expect(monitor.load).toBe(0.9);
    expect(signal).toHaveBeenCalledTimes(2);
    monitor.stop();
    expect(timers.pending.size).toBe(0);
  });

  it('does not start from the first reading of a window signal, even unsmoothed: it opened the window microseconds ago', () => {
    const clock = new FakeClock();
    const reads = [1, 0.3];
    const monitor = new LoadMonitor(() => reads.shift() ?? 0, 1000, clock, undefined, 0);
    expect(monitor.load).toBe(0);
    clock.advance(1000);
    monitor.sample();
    expect(monitor.load).toBe(0.3);
  });

  it('a manager on event-loop utilisation, unsmoothed, does not shed anybody before its first sample', () => {
    const m = createRateLimitManager({ env: false, load: { signals: ['eventLoopUtilization'], smoothingMs: 0, threshold: 0.5 } });
    busyLoop(20); // whatever ran before: the manager's own first window must not count it
    expect(m.load?.factorFor(0.5)).toBe(1);
    expect(m.health()).toBeDefined();
    void m.close();
  });

  it('clamps to [0, 1] and reads junk or a throwing signal as 0', () => {
    const clock = new FakeClock();
    const values: Array<() => number> = [
      () => 7,
      () => -1,
      () => Number.NaN,
      () => Number.POSITIVE_INFINITY,
      () => {
        throw new Error('x');
      },
    ];
    const expected = [1, 0, 0, 0, 0];
    let i = 0;
    const seen: number[] = [];
    const monitor = new LoadMonitor(
      () => (values[i] as () => number)(),
      10,
      clock,
      (load) => seen.push(load),
      0,
    );
    for (i = 0; i < values.length; i++) {
      monitor.sample();
      expect(monitor.load).toBe(expected[i]);
    }
    expect(seen).toEqual(expected);
  });

  it('smooths: a short burst barely moves the load, sustained load does', () => {
    const clock = new FakeClock();
    let value = 1;
    const monitor = new LoadMonitor(() => value, 1000, clock, undefined, 10_000);
    expect(monitor.load).toBe(0); // smoothed and not seeded: the average starts from idle
    for (let s = 0; s < 2; s++) {
      clock.advance(1000);
      monitor.sample();
    }
    // Two one-second samples of full load with a 10 s time constant: 1 − e^(−2/10).
    expect(monitor.load).toBeCloseTo(1 - Math.exp(-0.2), 10);
    expect(monitor.load).toBeLessThan(0.2);
    for (let s = 0; s < 28; s++) {
      clock.advance(1000);
      monitor.sample();
    }
    expect(monitor.load).toBeCloseTo(1 - Math.exp(-3), 10);
    value = 0;
    clock.advance(1000);
    monitor.sample();
    // One idle second only takes e^(−1/10) of it away.
    expect(monitor.load).toBeCloseTo((1 - Math.exp(-3)) * Math.exp(-0.1), 10);
  });

  it('weighs each sample by the time since the previous one, not by the nominal interval', () => {
    const clock = new FakeClock();
    let value = 1;
    const monitor = new LoadMonitor(() => value, 1000, clock, undefined, 1000);
    clock.advance(500); // an early sample (e.g. the interval fired late the time before)
    monitor.sample();
    const early = 1 - Math.exp(-0.5);
    expect(monitor.load).toBeCloseTo(early, 10);
    clock.advance(3000); // a late one: the timer was starved for three intervals
    monitor.sample();
    const late = early + (1 - Math.exp(-3)) * (1 - early);
    expect(monitor.load).toBeCloseTo(late, 10);
    value = 0.25;
    monitor.sample(); // no time passed: the new reading has no weight yet
    expect(monitor.load).toBeCloseTo(late, 10);
    clock.advance(-5_000); // a clock that stepped back is no elapsed time either
    monitor.sample();
    expect(monitor.load).toBeCloseTo(late, 10);
  });

  it('closes the gap to a steady signal by e^(−Δt/τ) per sample, monotonically and from either side', () => {
    const cases: Array<[start: number, target: number]> = [
      [0, 0.7],
      [1, 0.3],
    ];
    for (const [start, target] of cases) {
      const clock = new FakeClock();
      let value = start;
      const monitor = new LoadMonitor(() => value, 1000, clock, undefined, 2000, undefined, true);
      expect(monitor.load).toBe(start); // seeded with the first reading
      value = target;
      let previous = start;
      for (let s = 0; s < 20; s++) {
        clock.advance(1000);
        monitor.sample();
        const gap = Math.abs(monitor.load - target);
        expect(gap).toBeLessThan(Math.abs(previous - target));
        expect(Math.sign(monitor.load - target)).toBe(Math.sign(start - target)); // never overshoots
        expect(gap).toBeCloseTo(Math.abs(start - target) * Math.exp(-(s + 1) / 2), 10);
        previous = monitor.load;
      }
    }
  });

  it('decides on the fleet load when given one, publishing its own', () => {
    const clock = new FakeClock();
    const published: number[] = [];
    let fleet: number | undefined;
    const monitor = new LoadMonitor(() => 0.2, 1000, clock, undefined, 0, { publish: (l) => published.push(l), read: () => fleet }, true);
    expect(monitor.load).toBe(0.2); // fleet load not known yet
    fleet = 0.9;
    monitor.sample();
    expect(published).toEqual([0.2]);
    expect(monitor.local).toBe(0.2);
    expect(monitor.load).toBe(0.9);
  });

  it('eventLoopUtilization reads the share of time since its previous read that the loop was busy', async () => {
    // Up to three tries: a loaded CI box (other test files on both cores, the test runner's own
    // messages) can make one idle stretch look busy. A broken signal fails every try the same way.
    let readings = { idle: 1, busy: 0, idleAgain: 1 };
    for (let attempt = 0; attempt < 3; attempt++) {
      const elu = eventLoopUtilization();
      // Idle: the loop waits in its poll phase for the timer.
      await idleLoop(100);
      const idle = elu();
      // Busy: 100 ms of synchronous work and nothing else since the previous read.
      busyLoop(100);
      const busy = elu();
      // Idle again: the busy stretch is no longer in the window.
      await idleLoop(100);
      const idleAgain = elu();
      readings = { idle, busy, idleAgain };
      if (busy > 0.9 && idle < 0.5 && idleAgain < 0.5) break;
    }
    const { idle, busy, idleAgain } = readings;
    expect(busy, JSON.stringify(readings)).toBeGreaterThan(0.9);
    expect(busy, JSON.stringify(readings)).toBeLessThanOrEqual(1);
    expect(idle, JSON.stringify(readings)).toBeLessThan(0.5);
    expect(idle, JSON.stringify(readings)).toBeGreaterThanOrEqual(0);
    expect(idleAgain, JSON.stringify(readings)).toBeLessThan(0.5);
  });
});

describe('load adjustment in the manager', () => {
  function setup(load: number, options: RateLimitManagerOptions = {}, loadOptions: LoadOptions = {}) {
    const clock = new FakeClock();
    const state = { load };
    const onLoad = vi.fn();
    const timers = new ManualTimers(clock);
    const m = createRateLimitManager({
      env: false,
      clock,
      timers,
      load: { signal: () => state.load, threshold: 0.8, minFactor: 0.1, sampleIntervalMs: 1000, smoothingMs: 0, floor: 0, ...loadOptions },
      observer: { onLoad },
      ...options,
    });
    // Moves time and lets the sampler run, as the interval would.
    const tick = (ms = 1000) => {
      clock.advance(ms);
      timers.run();
    };
    return { m, clock, state, onLoad, tick };
  }

  it('changes nothing at or below the threshold', async () => {
    for (const load of [0, 0.5, 0.8]) {
      const { m } = setup(load);
      const d = await m.checkRateLimit('acme');
      expect(d.metadata).toMatchObject({ loadFactor: 1, requestsPerSecond: 5 });
    }
  });

  it('scales the effective rate (and burst) above the threshold, and reports denials as load_shed', async () => {
    const { m, tick } = setup(1);
    const first = await m.checkRateLimit('acme');
    expect(first.allowed).toBe(true);
    expect(first.metadata.loadFactor).toBeCloseTo(0.1 ** 2, 10); // free tier boost 0.5: exponent 2
    expect(first.metadata.requestsPerSecond).toBeCloseTo(0.05, 10);
    expect(first.metadata.limit).toBe(1); // burst 10 × 0.01, rounded up
    tick();
    const d = await m.checkRateLimit('acme');
    expect(d.allowed).toBe(false);
    expect(d.metadata.reason).toBe('load_shed');
    // Interval 20 s (give or take a µs of floating point): 40 s of backlog, 20 s tolerated, 1 s waited.
    expect(d.metadata.retryAfterMs).toBeGreaterThanOrEqual(19_000);
    expect(d.metadata.retryAfterMs).toBeLessThanOrEqual(19_001);
    expect(d.retryAfter).toBe(Math.ceil(d.metadata.retryAfterMs / 1000));
  });

  it('scales the burst with the rate, keeping the window, so a dip in load leaves no lasting debt', async () => {
    const { m, state, tick, clock } = setup(1, {}, { floor: 0.05 });
    const during = [];
    for (let i = 0; i < 10; i++) during.push(await m.checkRateLimit('acme'));
    expect(during.filter((d) => d.allowed)).toHaveLength(1); // factor 0.05: burst 10 → 1, rate 5 → 0.25/s
    expect(during[0]?.metadata).toMatchObject({ limit: 1, loadFactor: 0.05 });
    state.load = 0;
    tick();
    // Load is back: the bucket is the tier's again. The token used at the low rate delays the
    // next request by under two seconds (scaling only the rate would have let 10 tokens through
    // at 4 s each: 40 s of debt, 38 s of refusals after recovery).
    const next = await m.checkRateLimit('acme');
    expect(next.metadata).toMatchObject({ loadFactor: 1, limit: 10 });
    expect(next.metadata.retryAfterMs).toBeLessThanOrEqual(2_000);
    clock.advance(next.metadata.retryAfterMs);
    expect((await m.checkRateLimit('acme')).allowed).toBe(true);
  });

  it('never lets the factor rise as load rises', async () => {
    const { m, state, tick } = setup(0);
    let previous = 1;
    for (const load of [0.7, 0.8, 0.81, 0.85, 0.9, 0.95, 1]) {
      state.load = load;
      tick();
      const f = (await m.checkRateLimit('acme')).metadata.loadFactor;
      expect(f).toBeLessThanOrEqual(previous);
      previous = f;
    }
    expect(previous).toBeLessThan(1);
  });

  it('cuts a higher priorityBoost less than a lower one', async () => {
    const { m } = setup(0.9, {
      tierRules: [
        { pattern: 'ent-*', tier: 'enterprise' },
        { pattern: 'b-*', tier: 'basic' },
      ],
    });
    const free = (await m.checkRateLimit('f-1')).metadata.loadFactor;
    const basic = (await m.checkRateLimit('b-1')).metadata.loadFactor;
    const ent = (await m.checkRateLimit('ent-1')).metadata.loadFactor;
    expect(free).toBeLessThan(basic);
    expect(basic).toBeLessThan(ent);
    expect(ent).toBeLessThan(1);
  });

  it('uses an override priorityBoost', async () => {
    const { m } = setup(0.9, { overrides: { vip: { priorityBoost: 100 } } });
    const vip = (await m.checkRateLimit('vip')).metadata.loadFactor;
    const normal = (await m.checkRateLimit('normal')).metadata.loadFactor;
    expect(vip).toBeGreaterThan(normal);
  });

  it('reports the load in health and to the observer', async () => {
    const { m, onLoad, tick } = setup(0.42);
    tick();
    await m.checkRateLimit('acme');
    expect((await m.health()).systemLoad).toBe(0.42);
    expect(onLoad).toHaveBeenCalledWith(0.42, { effective: 0.42, factors: { free: 1, basic: 1, premium: 1, enterprise: 1 } });
  });

  it('does nothing when disabled', async () => {
    const signal = vi.fn(() => 1);
    const m = createRateLimitManager({ env: false, clock: new FakeClock(), load: { enabled: false, signal } });
    expect((await m.checkRateLimit('acme')).metadata.loadFactor).toBe(1);
    expect(signal).not.toHaveBeenCalled();
    expect((await m.health()).systemLoad).toBe(0);
  });

  it('has the documented defaults', () => {
    const m = createRateLimitManager({ env: false });
    expect(m.config.load).toEqual({
      enabled: true,
      signals: ['eventLoopUtilization'],
      delayCeilingMs: 100,
      inFlightCapacity: undefined,
      threshold: 0.8,
      minFactor: 0.1,
      floor: { free: 0.05, basic: 0.05, premium: 0.05, enterprise: 0.05 },
      sampleIntervalMs: 1000,
      smoothingMs: 5_000,
      fleet: false,
      shedStatus: 503,
      adaptiveConcurrency: false,
    });
    return m.close();
  });

  it('scales concurrency slots by the same factor, never below one slot unless the floor is 0', async () => {
    const { m } = setup(1, {
      tiers: { free: { maxConcurrentRequests: 50 } },
      load: { signal: () => 1, threshold: 0.8, minFactor: 0.1, smoothingMs: 0, floor: 0.2 },
    });
    const slot = await m.acquireConcurrency('acme');
    expect(slot.limit).toBe(10); // 50 × floor 0.2
    const zero = setup(1, { load: { signal: () => 1, threshold: 0.5, minFactor: 0.01, smoothingMs: 0, floor: 0 } });
    const tiny = await zero.m.acquireConcurrency('acme');
    expect(tiny.limit).toBe(1);
  });

  it('keeps every tier at or above its floor, with a higher priority never below a lower one', async () => {
    const { m } = setup(1, {
      tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }],
      load: { signal: () => 1, threshold: 0.8, minFactor: 0.01, smoothingMs: 0, floor: { free: 0.3, enterprise: 0.1 } },
    });
    const free = (await m.checkRateLimit('f')).metadata.loadFactor;
    const ent = (await m.checkRateLimit('ent-1')).metadata.loadFactor;
    expect(free).toBe(0.3);
    // Enterprise's own floor is lower, but a higher boost never gets a lower floor than free's.
    expect(ent).toBeGreaterThanOrEqual(0.3);
    const health = await m.health();
    expect(health.loadFactors.free).toBe(0.3);
    expect((await m.getTenantStatus('f')).loadFactor).toBe(0.3);
  });

  it('counts requests in flight for the inFlight signal', async () => {
    const m = createRateLimitManager({
      env: false,
      clock: new FakeClock(),
      load: { signals: ['inFlight'], inFlightCapacity: 4, smoothingMs: 0, threshold: 0.5 },
    });
    expect(m.load?.inFlight).toBe(0);
    await m.close();
  });

  it('refuses fleet load without a shared store, and an inFlight signal without a capacity', () => {
    expect(() => createRateLimitManager({ env: false, load: { fleet: true } })).toThrow(/load\.fleet/);
    expect(() => createRateLimitManager({ env: false, load: { signals: ['inFlight'] } })).toThrow(/load\.inFlightCapacity/);
    const error = thrown(() => createRateLimitManager({ env: false, load: { floor: { free: 2 } as never, signals: ['nope' as never] } }));
    expect(issueKeys(error).sort()).toEqual(['load.floor.free', 'load.signals']);
  });
});
