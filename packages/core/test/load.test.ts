import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createRateLimitManager, eventLoopUtilization, LoadMonitor, loadFactor, type RateLimitManagerOptions } from '../src/index.js';
import { FakeClock } from './support.js';

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
  it('samples at most once per interval', () => {
    const clock = new FakeClock();
    let value = 0.5;
    const signal = vi.fn(() => value);
    const monitor = new LoadMonitor(signal, 1000, clock, undefined, 0);
    expect(monitor.load).toBe(0.5);
    value = 0.9;
    clock.advance(999);
    expect(monitor.load).toBe(0.5);
    clock.advance(1);
    expect(monitor.load).toBe(0.9);
    expect(signal).toHaveBeenCalledTimes(2);
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
    for (; i < values.length; i++) {
      expect(monitor.load).toBe(expected[i]);
      clock.advance(10);
    }
    expect(seen).toEqual(expected);
  });

  it('smooths: a short burst barely moves the load, sustained load does', () => {
    const clock = new FakeClock();
    let value = 1;
    const monitor = new LoadMonitor(() => value, 1000, clock, undefined, 10_000);
    expect(monitor.load).toBe(0);
    for (let s = 0; s < 2; s++) {
      clock.advance(1000);
      monitor.load;
    }
    expect(monitor.load).toBeCloseTo(1 - Math.exp(-0.2), 6);
    expect(monitor.load).toBeLessThan(0.2);
    for (let s = 0; s < 28; s++) {
      clock.advance(1000);
      monitor.load;
    }
    expect(monitor.load).toBeGreaterThan(0.94);
    value = 0;
    clock.advance(1000);
    expect(monitor.load).toBeGreaterThan(0.85);
  });

  it('eventLoopUtilization returns a fraction', () => {
    const elu = eventLoopUtilization();
    const v = elu();
    expect(v).toBeGreaterThanOrEqual(0);
    expect(v).toBeLessThanOrEqual(1);
  });
});

describe('load adjustment in the manager', () => {
  function setup(load: number, options: RateLimitManagerOptions = {}) {
    const clock = new FakeClock();
    const state = { load };
    const onLoad = vi.fn();
    const m = createRateLimitManager({
      env: false,
      clock,
      load: { signal: () => state.load, threshold: 0.8, minFactor: 0.1, sampleIntervalMs: 1000, smoothingMs: 0 },
      observer: { onLoad },
      ...options,
    });
    return { m, clock, state, onLoad };
  }

  it('changes nothing at or below the threshold', async () => {
    for (const load of [0, 0.5, 0.8]) {
      const { m } = setup(load);
      const d = await m.checkRateLimit('acme');
      expect(d.metadata).toMatchObject({ loadFactor: 1, requestsPerSecond: 5 });
    }
  });

  it('scales the effective rate above the threshold, and reports denials as load_shed', async () => {
    const { m, clock } = setup(1);
    const first = await m.checkRateLimit('acme', '/', { cost: 10 });
    expect(first.metadata.loadFactor).toBeCloseTo(0.1 ** 2, 10); // free tier boost 0.5: exponent 2
    expect(first.metadata.requestsPerSecond).toBeCloseTo(0.05, 10);
    clock.advance(1000);
    const d = await m.checkRateLimit('acme');
    expect(d.allowed).toBe(false);
    expect(d.metadata.reason).toBe('load_shed');
    // Interval 20 s (give or take a µs of floating point): 200 s of backlog, 1 s waited.
    expect(d.metadata.retryAfterMs).toBeGreaterThanOrEqual(19_000);
    expect(d.metadata.retryAfterMs).toBeLessThanOrEqual(19_001);
    expect(d.retryAfter).toBe(Math.ceil(d.metadata.retryAfterMs / 1000));
  });

  it('keeps the burst unchanged, so a rested tenant still gets its burst', async () => {
    const { m } = setup(1);
    const ds = [];
    for (let i = 0; i < 11; i++) ds.push(await m.checkRateLimit('acme'));
    expect(ds.filter((d) => d.allowed)).toHaveLength(10);
  });

  it('never lets the factor rise as load rises', async () => {
    const { m, clock, state } = setup(0);
    let previous = 1;
    for (const load of [0.7, 0.8, 0.81, 0.85, 0.9, 0.95, 1]) {
      state.load = load;
      clock.advance(1000);
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
    const { m, onLoad } = setup(0.42);
    await m.checkRateLimit('acme');
    expect((await m.health()).systemLoad).toBe(0.42);
    expect(onLoad).toHaveBeenCalledWith(0.42);
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
      signal: undefined,
      threshold: 0.8,
      minFactor: 0.1,
      sampleIntervalMs: 1000,
      smoothingMs: 10_000,
      shedStatus: 503,
    });
  });
});
