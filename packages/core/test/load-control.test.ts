/**
 * The load machinery around the adjustment function: signals and their sampling timer, fleet
 * load, what health/status/observers see, requests in flight and the adaptive concurrency limit.
 */
import { describe, expect, it, vi } from 'vitest';
import { createRateLimitManager, type RateLimitManagerOptions } from '../src/index.js';
import { createHttpRateLimiter, type HttpOutcome, type HttpRequestInfo } from '../src/adapter.js';
import { AimdLimit } from '../src/load/aimd.js';
import { eventLoopDelay } from '../src/load/signals.js';
import { busyLoop, FakeClock, idleLoop, issueKeys, LoadSharingFleet, ManualTimers, ScriptedStore, thrown } from './support.js';

function manual(options: RateLimitManagerOptions = {}) {
  const clock = new FakeClock();
  const timers = new ManualTimers(clock);
  const m = createRateLimitManager({ env: false, clock, timers, ...options });
  const tick = (ms = 1000) => {
    clock.advance(ms);
    timers.run();
  };
  return { m, clock, timers, tick };
}

describe('load signals and sampling', () => {
  it('combines several signals by max', async () => {
    const { m } = manual({ load: { signals: [() => 0.3, () => 0.9, () => 0.1], smoothingMs: 0 } });
    expect(m.load?.local).toBe(0.9);
    expect((await m.health()).systemLoad).toBe(0.9);
    await m.close();
  });

  it('samples on the injected timer only: requests read a number, never the signal', async () => {
    const signal = vi.fn(() => 0.5);
    const { m, timers, tick } = manual({ load: { signal, smoothingMs: 0, sampleIntervalMs: 500 } });
    expect(signal).toHaveBeenCalledTimes(1); // the first read opens the signal's window
    for (let i = 0; i < 100; i++) await m.checkRateLimit(`t${i % 3}`);
    expect(signal).toHaveBeenCalledTimes(1);
    tick(500);
    expect(signal).toHaveBeenCalledTimes(2);
    // One timer more than the same manager without load: the sampler.
    const without = manual({ load: { enabled: false } });
    expect(timers.pending.size).toBe(without.timers.pending.size + 1);
    await m.close();
    expect(timers.pending.size).toBe(0); // closing the manager stops the interval
    tick(5_000);
    expect(signal).toHaveBeenCalledTimes(2);
  });

  it('smooths with an EWMA over the sampling interval', async () => {
    let value = 0;
    const { m, tick } = manual({ load: { signal: () => value, smoothingMs: 4000, sampleIntervalMs: 1000 } });
    value = 1;
    tick();
    expect(m.load?.local).toBeCloseTo(1 - Math.exp(-0.25), 10);
    for (let i = 0; i < 30; i++) tick();
    expect(m.load?.local).toBeCloseTo(1 - Math.exp(-31 / 4), 10);
    // Requests only read the average: the drop shows at the next tick, by one tick's weight.
    value = 0;
    const before = m.load?.local;
    for (let i = 0; i < 10; i++) await m.checkRateLimit('acme');
    expect(m.load?.local).toBe(before);
    tick();
    expect(m.load?.local).toBeCloseTo((1 - Math.exp(-31 / 4)) * Math.exp(-0.25), 10);
    await m.close();
  });

  it('eventLoopDelay reads the mean loop delay since its previous read against the ceiling, and stops its histogram', async () => {
    const delay = eventLoopDelay(20);
    // The histogram has no sample before its first 10 ms tick.
    expect(delay()).toBe(0);
    // A 300 ms stall between ticks. The histogram resets on each read and then needs a tick
    // before it measures again, hence the idle stretch on both sides. Its mean is the stall
    // diluted by the few normal ticks around it (at most ~8 in 2 × 30 ms, even on a slow
    // machine): well over the 20 ms ceiling.
    await idleLoop(30);
    busyLoop(300);
    await idleLoop(30);
    const stalled = delay();
    // Idle since that read: the stall is no longer counted (ticks only ~10 ms apart, ~0 after the resolution).
    await idleLoop(100);
    const idle = delay();
    const readings = { stalled, idle };
    expect(stalled, JSON.stringify(readings)).toBeGreaterThanOrEqual(1);
    expect(idle, JSON.stringify(readings)).toBeGreaterThanOrEqual(0);
    expect(idle, JSON.stringify(readings)).toBeLessThan(0.5);
    // Stopped: the histogram records nothing more, however long the loop stalls.
    delay.stop();
    await idleLoop(30);
    busyLoop(100);
    await idleLoop(30);
    expect(delay()).toBe(0);
  });

  it('builds the built-in signals by name: eventLoopUtilization measures busy time', async () => {
    // smoothingMs 1: each one-second tick takes the new reading (weight 1 − e^−1000), while a
    // smoothed monitor does not seed the average with the built-in's zero-length first window.
    const { m, tick } = manual({ load: { signals: ['eventLoopUtilization'], smoothingMs: 1 } });
    expect(m.config.load.signals).toEqual(['eventLoopUtilization']);
    expect(m.load?.local).toBe(0);
    busyLoop(100);
    tick();
    const busy = m.load?.local ?? Number.NaN;
    await idleLoop(100);
    tick();
    const idle = m.load?.local ?? Number.NaN;
    expect(busy, JSON.stringify({ busy, idle })).toBeGreaterThan(0.9);
    expect(idle, JSON.stringify({ busy, idle })).toBeLessThan(0.5);
    await m.close();
  });

  it('builds the built-in signals by name: eventLoopDelay against delayCeilingMs', async () => {
    const { m, tick } = manual({ load: { signals: ['eventLoopDelay'], delayCeilingMs: 20, smoothingMs: 1 } });
    expect(m.config.load.signals).toEqual(['eventLoopDelay']);
    expect(m.load?.local).toBe(0);
    // A 300 ms stall against a 20 ms ceiling saturates it (see the eventLoopDelay test); the
    // loop's busy share over the same stretch would be about 300/360, not 1.
    await idleLoop(30);
    busyLoop(300);
    await idleLoop(30);
    tick();
    expect(m.load?.local).toBe(1);
    await m.close();
  });

  it('combines the built-in signals by max', async () => {
    const { m, tick } = manual({ load: { signals: ['eventLoopDelay', 'eventLoopUtilization'], delayCeilingMs: 60_000, smoothingMs: 1 } });
    // Busy for 100 ms: utilisation ~1, delay ~0 against a one-minute ceiling; the max is the utilisation.
    busyLoop(100);
    tick();
    expect(m.load?.local).toBeGreaterThan(0.9);
    await m.close();
  });
});

describe('what reports and observers see', () => {
  it('feeds the observer every sample with the effective load and per-tier factors', async () => {
    const onLoad = vi.fn();
    const { m, tick } = manual({ observer: { onLoad }, load: { signal: () => 1, smoothingMs: 0, threshold: 0.8, minFactor: 0.1, floor: 0.05 } });
    tick();
    const [local, detail] = onLoad.mock.calls.at(-1) as [number, { effective: number; factors: Record<string, number> }];
    expect(local).toBe(1);
    expect(detail.effective).toBe(1);
    expect(detail.factors.free).toBeCloseTo(0.05, 10); // 0.1² = 0.01, raised to the floor
    expect(detail.factors.enterprise).toBeCloseTo(0.1 ** (1 / 1.2), 10);
    expect(detail.factors.free).toBeLessThan(detail.factors.basic as number);
    await m.close();
  });

  it('shows the factor in decisions, tenant status and health', async () => {
    const { m } = manual({ tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }], load: { signal: () => 0.9, smoothingMs: 0 } });
    const d = await m.checkRateLimit('ent-1');
    const status = await m.getTenantStatus('ent-1');
    const health = await m.health();
    expect(d.metadata.loadFactor).toBeLessThan(1);
    expect(status.loadFactor).toBe(d.metadata.loadFactor);
    expect(health.loadFactors.enterprise).toBe(d.metadata.loadFactor);
    expect(health.loadFactors.free as number).toBeLessThan(health.loadFactors.enterprise as number);
    expect(health).toMatchObject({ systemLoad: 0.9, fleetLoad: null, fleetInstances: null, inFlight: null, concurrencyLimit: null });
    await m.close();
  });
});

describe('fleet load', () => {
  function fleetPair(fleet: boolean, loads: { a: number; b: number }) {
    const board = new Map<string, number>();
    const make = (id: 'a' | 'b') => {
      const clock = new FakeClock();
      const store = new ScriptedStore(clock);
      const sync = new LoadSharingFleet(board, id);
      store.fleet = sync;
      const timers = new ManualTimers(clock);
      const m = createRateLimitManager({ env: false, clock, timers, store, load: { signal: () => loads[id], smoothingMs: 0, threshold: 0.4, fleet } });
      return {
        m,
        sync,
        tick: () => {
          clock.advance(1000);
          timers.run();
        },
      };
    };
    return { a: make('a'), b: make('b') };
  }

  it('with load.fleet, an idle instance sheds with a hot one (mean of live instances)', async () => {
    const { a, b } = fleetPair(true, { a: 1, b: 0 });
    a.tick();
    b.tick();
    await Promise.resolve();
    expect(b.sync.sharedLoads).toEqual([0]);
    expect((await b.m.health()).fleetLoad).toBe(0.5);
    expect((await b.m.health()).fleetInstances).toBe(2);
    const d = await b.m.checkRateLimit('acme');
    expect(d.metadata.loadFactor).toBeLessThan(1); // mean 0.5 is over the threshold 0.4
    // …and the hot one, once it has read B's load, does not shed alone as hard as its own load would make it.
    a.tick();
    await Promise.resolve();
    const own = createRateLimitManager({ env: false, load: { signal: () => 1, smoothingMs: 0, threshold: 0.4 } });
    expect((await a.m.checkRateLimit('acme')).metadata.loadFactor).toBeGreaterThan((await own.checkRateLimit('acme')).metadata.loadFactor);
    await Promise.all([a.m.close(), b.m.close(), own.close()]);
  });

  it('without load.fleet, each instance decides on its own load and publishes nothing', async () => {
    const { a, b } = fleetPair(false, { a: 1, b: 0 });
    a.tick();
    b.tick();
    await Promise.resolve();
    expect(b.sync.sharedLoads).toEqual([]);
    expect((await b.m.checkRateLimit('acme')).metadata.loadFactor).toBe(1);
    expect((await b.m.health()).fleetLoad).toBeNull();
    await Promise.all([a.m.close(), b.m.close()]);
  });

  it('falls back to its own load while the fleet cannot be reached', async () => {
    const { a } = fleetPair(true, { a: 0.2, b: 0 });
    a.sync.failing = true;
    a.tick();
    await Promise.resolve();
    expect((await a.m.health()).fleetLoad).toBeNull();
    expect(a.m.load?.load).toBe(0.2);
    await a.m.close();
  });

  it('refuses load.fleet without a store that shares load, in the same error as other problems', () => {
    const error = thrown(() => createRateLimitManager({ env: false, load: { fleet: true, threshold: 2 } }));
    expect(issueKeys(error).sort()).toEqual(['load.fleet', 'load.threshold']);
  });
});

describe('concurrency under load', () => {
  it('scales maxConcurrentRequests by the factor, rounding so a tenant keeps at least one slot', async () => {
    const { m } = manual({ tiers: { free: { maxConcurrentRequests: 7 } }, load: { signal: () => 1, smoothingMs: 0, floor: 0.2 } });
    const slot = await m.acquireConcurrency('acme');
    expect(slot.loadFactor).toBeCloseTo(0.2, 10);
    expect(slot.limit).toBe(1); // floor(7 × 0.2) = 1
    await slot.release();
    await m.close();
  });

  it('answers a concurrency refusal caused by load with the shed status', async () => {
    const http = underFullLoad(2);
    const first = await http.handle(request('acme'));
    expect(first.action).toBe('continue');
    const second = await http.handle(request('acme'));
    expect(second).toMatchObject({ action: 'respond', status: 503 });
    expect(JSON.parse((second as { body: string }).body).error.type).toBe('https://aurum.api/errors/service_overloaded');
    await http.close();
  });
});

/** An HTTP limiter at full load (factor 0.5 by the floor), fast rates, `maxConcurrent` slots per tenant. */
function underFullLoad(maxConcurrent: number) {
  const clock = new FakeClock();
  return createHttpRateLimiter({
    env: false,
    clock,
    timers: new ManualTimers(clock),
    tiers: { free: { maxConcurrentRequests: maxConcurrent, requestsPerSecond: 1000, burstSize: 1000 } },
    load: { signal: () => 1, smoothingMs: 0, floor: 0.5 },
  });
}

function request(tenant: string): HttpRequestInfo<unknown> {
  return { method: 'GET', url: '/x', ip: '203.0.113.7', raw: {}, headers: { 'x-tenant-id': tenant } };
}

async function release(outcome: HttpOutcome): Promise<void> {
  if (outcome.action === 'continue') await outcome.release?.();
}

describe('requests in flight (counted in core, for every adapter)', () => {
  it('counts from decision to release, and drives the inFlight signal', async () => {
    const clock = new FakeClock();
    const timers = new ManualTimers(clock);
    const http = createHttpRateLimiter({ env: false, clock, timers, load: { signals: ['inFlight'], inFlightCapacity: 4, smoothingMs: 0 } });
    const load = http.manager.load;
    const held = [await http.handle(request('a')), await http.handle(request('b')), await http.handle(request('c'))];
    expect(load?.inFlight).toBe(3);
    clock.advance(1000);
    timers.run();
    expect(load?.local).toBe(0.75);
    await release(held[0] as HttpOutcome);
    await release(held[0] as HttpOutcome); // idempotent
    expect(load?.inFlight).toBe(2);
    await Promise.all(held.slice(1).map(release));
    expect(load?.inFlight).toBe(0);
    expect((await http.manager.health()).inFlight).toBe(0);
    await http.close();
  });

  it('counts with concurrency slots off too', async () => {
    const http = createHttpRateLimiter({ env: false, concurrency: false, load: { signals: ['inFlight'], inFlightCapacity: 4 } });
    const o = await http.handle(request('a'));
    expect(http.manager.load?.inFlight).toBe(1);
    await release(o);
    expect(http.manager.load?.inFlight).toBe(0);
    await http.close();
  });

  it('does not count (nor wrap releases) when no signal needs it', async () => {
    const http = createHttpRateLimiter({ env: false, load: { signal: () => 0 } });
    expect(http.manager.load?.tracksRequests).toBe(false);
    await release(await http.handle(request('a')));
    expect(http.manager.load?.inFlight).toBe(0);
    await http.close();
  });
});

describe('adaptive concurrency (AIMD)', () => {
  const options = { initialLimit: 10, minLimit: 2, maxLimit: 12, targetLatencyMs: 100, backoff: 0.5 };

  it('adds one per fast completion while at least half used, up to maxLimit', () => {
    const limit = new AimdLimit(options);
    limit.onSample(10, 4, 0); // under half used: no growth
    expect(limit.limit).toBe(10);
    for (let i = 0; i < 5; i++) limit.onSample(10, 6, i);
    expect(limit.limit).toBe(12);
  });

  it('cuts multiplicatively on a slow completion, at most once per target latency, down to minLimit', () => {
    const limit = new AimdLimit(options);
    limit.onSample(500, 10, 1000);
    expect(limit.limit).toBe(5);
    limit.onSample(500, 10, 1050); // same congestion episode
    expect(limit.limit).toBe(5);
    limit.onSample(500, 10, 1100);
    expect(limit.limit).toBe(2);
    limit.onSample(500, 10, 1300);
    expect(limit.limit).toBe(2);
  });

  it('lets a tenant fill min(1, priorityBoost) of the limit, and everybody at least one', () => {
    const limit = new AimdLimit(options);
    expect(limit.admits(4, 0.5)).toBe(true);
    expect(limit.admits(5, 0.5)).toBe(false);
    expect(limit.admits(9, 1.2)).toBe(true);
    expect(limit.admits(10, 1.2)).toBe(false);
    expect(new AimdLimit({ ...options, initialLimit: 2 }).admits(0, 0.1)).toBe(true);
  });

  it('sheds low priorities first at the HTTP layer, with the shed status', async () => {
    const http = createHttpRateLimiter({
      env: false,
      tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }],
      load: { signal: () => 0, adaptiveConcurrency: { initialLimit: 4, minLimit: 1, maxLimit: 4 } },
    });
    const free = [await http.handle(request('f1')), await http.handle(request('f2'))];
    expect(free.map((o) => o.action)).toEqual(['continue', 'continue']);
    const refused = await http.handle(request('f3')); // free may use half of 4
    expect(refused).toMatchObject({ action: 'respond', status: 503 });
    const ent = [await http.handle(request('ent-1')), await http.handle(request('ent-2'))];
    expect(ent.map((o) => o.action)).toEqual(['continue', 'continue']);
    expect(await http.handle(request('ent-3'))).toMatchObject({ action: 'respond', status: 503 });
    expect((await http.manager.health()).concurrencyLimit).toBe(4);
    await Promise.all([...free, ...ent].map(release));
    expect((await http.handle(request('f3'))).action).toBe('continue');
    await http.close();
  });

  it('is off by default and validated', () => {
    expect(createRateLimitManager({ env: false }).config.load.adaptiveConcurrency).toBe(false);
    expect(createRateLimitManager({ env: false, load: { adaptiveConcurrency: true } }).config.load.adaptiveConcurrency).toEqual({
      initialLimit: 100,
      minLimit: 2,
      maxLimit: 1000,
      targetLatencyMs: 200,
      backoff: 0.9,
    });
    const error = thrown(() =>
      createRateLimitManager({ env: false, load: { adaptiveConcurrency: { backoff: 1, minLimit: 0, targetLatencyMs: -1, extra: 1 } as never } }),
    );
    expect(issueKeys(error).sort()).toEqual([
      'load.adaptiveConcurrency.backoff',
      'load.adaptiveConcurrency.extra',
      'load.adaptiveConcurrency.minLimit',
      'load.adaptiveConcurrency.targetLatencyMs',
    ]);
    expect(issueKeys(thrown(() => createRateLimitManager({ env: false, load: { adaptiveConcurrency: { minLimit: 50, maxLimit: 10 } } })))).toEqual([
      'load.adaptiveConcurrency',
    ]);
  });
});

describe('load configuration from the environment', () => {
  it('merges per-tier floors: code beats env per tier, env beats the default', () => {
    const m = createRateLimitManager({
      env: { AURUM_API_RATE_LIMIT_LOAD_FLOOR: '0.2', AURUM_API_RATE_LIMIT_ENTERPRISE_LOAD_FLOOR: '0.6', AURUM_API_RATE_LIMIT_LOAD_THRESHOLD: '0.7' },
      load: { floor: { basic: 0.3 } },
    });
    expect(m.config.load.floor).toEqual({ free: 0.2, basic: 0.3, premium: 0.2, enterprise: 0.6 });
    expect(m.config.load.threshold).toBe(0.7);
  });

  it('names each bad load variable in one error', () => {
    const error = thrown(() =>
      createRateLimitManager({
        env: { AURUM_API_RATE_LIMIT_LOAD_THRESHOLD: '1.2', AURUM_API_RATE_LIMIT_FREE_LOAD_FLOOR: '-1', AURUM_API_RATE_LIMIT_LOAD_FLEET: 'maybe' },
      }),
    );
    expect(issueKeys(error).sort()).toEqual(['AURUM_API_RATE_LIMIT_FREE_LOAD_FLOOR', 'AURUM_API_RATE_LIMIT_LOAD_FLEET', 'AURUM_API_RATE_LIMIT_LOAD_THRESHOLD']);
  });
});

describe('review regressions', () => {
  it('a signal that throws reads as 0 alone: the other signals still count', async () => {
    const { m, tick } = manual({
      load: {
        signals: [
          () => {
            throw new Error('pool gone');
          },
          () => 0.9,
        ],
        smoothingMs: 0,
      },
    });
    tick();
    expect(m.load?.local).toBeCloseTo(0.9, 10);
    await m.close();
  });

  it('an option given as undefined keeps its default or the environment value', async () => {
    const m = createRateLimitManager({
      env: { AURUM_API_RATE_LIMIT_LOAD_THRESHOLD: '0.7' },
      load: { threshold: undefined, adaptiveConcurrency: { backoff: undefined, targetLatencyMs: undefined } },
    });
    expect(m.config.load.threshold).toBe(0.7);
    expect(m.config.load.adaptiveConcurrency).toMatchObject({ backoff: 0.9, targetLatencyMs: 200 });
    await m.close();
  });

  it('a non-finite number in the environment is refused', () => {
    expect(issueKeys(thrown(() => createRateLimitManager({ env: { AURUM_API_RATE_LIMIT_LOAD_SMOOTHING_MS: '1e999' } })))).toEqual([
      'AURUM_API_RATE_LIMIT_LOAD_SMOOTHING_MS',
    ]);
  });

  it('a tenant over its full concurrency limit gets the 429, not a load shed, even under load', async () => {
    const http = underFullLoad(2);
    const first = await http.handle(request('acme')); // 1 slot under load: taken
    const shed = await http.handle(request('acme'));
    expect(shed).toMatchObject({ action: 'respond', status: 503 });
    // A limit load cannot cut (one slot stays one): a request over it is the ordinary 429.
    const uncut = underFullLoad(1);
    const a = await uncut.handle(request('acme'));
    const b = await uncut.handle(request('acme'));
    expect(b).toMatchObject({ action: 'respond', status: 429 });
    await Promise.all([first, a].map(release));
    await http.close();
    await uncut.close();
  });

  it('a store whose consumeAndAcquire is not a function is a configuration error', () => {
    const store = Object.assign(new ScriptedStore(new FakeClock()), { consumeAndAcquire: 42 });
    expect(issueKeys(thrown(() => createRateLimitManager({ env: false, store: store as never })))).toEqual(['store.consumeAndAcquire']);
  });
});

describe('start-up', () => {
  it('seeds the average with the first reading of your own signal, so an overloaded start sheds at once', async () => {
    const { m } = manual({ load: { signal: () => 1, threshold: 0.5 } });
    expect(m.load?.local).toBe(1);
    expect((await m.checkRateLimit('acme')).metadata.loadFactor).toBeLessThan(1);
    await m.close();
  });

  it('starts the built-in signals from 0 (their first reading covers no time)', async () => {
    const { m } = manual({ load: { signals: ['eventLoopUtilization'] } });
    expect(m.load?.local).toBe(0);
    await m.close();
  });
});
