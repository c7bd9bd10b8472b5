import { describe, expect, it } from 'vitest';
import { CIRCUIT_STATE_VALUE, type CircuitBreakerOptions, type CircuitStateChange, RateLimitConfigError } from '../src/index.js';
import { type BreakerPermit, CircuitBreaker } from '../src/store.js';
import { FakeClock, issueKeys, thrown } from './support.js';

/** Three calls in the (1 s) window, half of them failed, open it; open for 1 s. */
function setup(options: Omit<CircuitBreakerOptions, 'clock'> = {}) {
  const clock = new FakeClock();
  const changes: CircuitStateChange[] = [];
  const breaker = new CircuitBreaker({ minimumCalls: 3, resetTimeoutMs: 1000, clock, onStateChange: (c) => changes.push(c), ...options });
  const permit = (): BreakerPermit => {
    const p = breaker.tryAcquire();
    if (!p) throw new Error(`no permit: the breaker is ${breaker.state}`);
    return p;
  };
  const fail = (n = 1) => {
    for (let i = 0; i < n; i++) breaker.failure(permit());
  };
  const succeed = (n = 1) => {
    for (let i = 0; i < n; i++) breaker.success(permit(), 1);
  };
  return { clock, breaker, changes, permit, fail, succeed };
}

describe('CircuitBreaker: closed', () => {
  it('starts closed and hands out non-probe permits', () => {
    const { breaker } = setup();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toEqual({ generation: 0, probe: false });
  });

  it('opens once the window holds minimumCalls calls and the failure rate reaches the threshold', () => {
    const { breaker, changes, fail } = setup();
    fail(2);
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(2);
    fail(1);
    expect(breaker.state).toBe('open');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ from: 'closed', to: 'open', reason: 'failures' });
  });

  it('never opens below minimumCalls, whatever the failure rate', () => {
    const { breaker, fail } = setup({ minimumCalls: 10 });
    fail(9);
    expect(breaker.state).toBe('closed');
    expect(breaker.windowCounts()).toEqual({ calls: 9, failures: 9 });
    fail(1);
    expect(breaker.state).toBe('open');
  });

  it('does not open on a burst of failures that land together among many successes (one dropped connection)', () => {
    const { breaker, clock, permit, succeed } = setup({ minimumCalls: 5 });
    for (let i = 0; i < 9; i++) {
      succeed(5);
      clock.advance(100);
    }
    // Fifteen calls were in flight on the connection that dropped: they all fail at once.
    const inFlight = Array.from({ length: 15 }, permit);
    for (const p of inFlight) breaker.failure(p);
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(15);
    expect(breaker.windowCounts()).toEqual({ calls: 60, failures: 15 });
    succeed(1);
    expect(breaker.consecutiveFailures).toBe(0);
  });

  it('opens on a high failure rate among successes, exactly at the threshold', () => {
    const { breaker, fail, succeed } = setup({ minimumCalls: 5 });
    succeed(10);
    fail(9);
    // 9 of 19 calls: 47 %.
    expect(breaker.state).toBe('closed');
    fail(1);
    // 10 of 20: 50 %.
    expect(breaker.state).toBe('open');
  });

  it('takes failureRateThreshold as a percentage', () => {
    const { breaker, fail, succeed } = setup({ minimumCalls: 5, failureRateThreshold: 80 });
    succeed(2);
    fail(7);
    // 7 of 9: 78 %.
    expect(breaker.state).toBe('closed');
    fail(1);
    // 8 of 10.
    expect(breaker.state).toBe('open');
  });

  it('forgets calls older than slidingWindowMs', () => {
    const { breaker, clock, fail, succeed } = setup({ slidingWindowMs: 1000 });
    succeed(10);
    clock.advance(1000);
    expect(breaker.windowCounts()).toEqual({ calls: 0, failures: 0 });
    // The successes are gone: three failures are 100 % of the window.
    fail(3);
    expect(breaker.state).toBe('open');
  });

  it('slides in tenths of the window: a call ages out between 90 % and 100 % of slidingWindowMs later', () => {
    const { breaker, clock, fail } = setup({ slidingWindowMs: 1000 });
    clock.ms = 1_700_000_000_050; // halfway into a 100 ms bucket
    fail(2);
    clock.advance(949);
    expect(breaker.windowCounts()).toEqual({ calls: 2, failures: 2 });
    clock.advance(1); // 950 ms later its bucket leaves the window
    expect(breaker.windowCounts()).toEqual({ calls: 0, failures: 0 });
    // Old failures no longer count towards minimumCalls: one new failure does not open it.
    fail(1);
    expect(breaker.state).toBe('closed');
  });

  it('keeps counting when the clock steps back', () => {
    const { breaker, clock, fail, succeed } = setup({ minimumCalls: 5 });
    succeed(2);
    clock.advance(-5_000);
    fail(2);
    expect(breaker.windowCounts(clock.now() + 5_000)).toEqual({ calls: 4, failures: 2 });
    fail(1);
    expect(breaker.state).toBe('open');
  });

  it('counts total failures and the time of the last one', () => {
    const { breaker, clock, fail } = setup();
    fail(2);
    expect(breaker.totalFailures).toBe(2);
    expect(breaker.lastFailureAt).toBe(clock.now());
  });

  it('counts a slow call as a failure', () => {
    const { breaker, changes, permit } = setup({ slowCallMs: 50 });
    for (let i = 0; i < 3; i++) breaker.success(permit(), 51);
    expect(breaker.state).toBe('open');
    expect(changes[0]?.reason).toBe('failures');
  });

  it('does not count a call exactly at slowCallMs as slow', () => {
    const { breaker, permit } = setup({ slowCallMs: 50 });
    for (let i = 0; i < 5; i++) breaker.success(permit(), 50);
    expect(breaker.state).toBe('closed');
    expect(breaker.totalFailures).toBe(0);
    expect(breaker.windowCounts()).toEqual({ calls: 5, failures: 0 });
  });

  it('never counts slow calls when slowCallMs is not set', () => {
    const { breaker, permit } = setup();
    for (let i = 0; i < 5; i++) breaker.success(permit(), 1e9);
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker: open and half-open', () => {
  it('refuses permits until the reset timeout, then lets halfOpenProbes probes through', () => {
    const { breaker, clock, changes, fail } = setup({ halfOpenProbes: 2 });
    fail(3);
    expect(breaker.tryAcquire()).toBeNull();
    clock.advance(999);
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBeNull();
    clock.advance(1);
    expect(breaker.state).toBe('half_open');
    const p1 = breaker.tryAcquire();
    const p2 = breaker.tryAcquire();
    expect(p1?.probe).toBe(true);
    expect(p2?.probe).toBe(true);
    expect(breaker.tryAcquire()).toBeNull();
    expect(changes.map((c) => `${c.from}>${c.to}:${c.reason}`)).toEqual(['closed>open:failures', 'open>half_open:reset_timeout']);
  });

  it('closes when every probe succeeds', () => {
    const { breaker, clock, changes, fail } = setup({ halfOpenProbes: 2 });
    fail(3);
    clock.advance(1000);
    const p1 = breaker.tryAcquire() as BreakerPermit;
    const p2 = breaker.tryAcquire() as BreakerPermit;
    breaker.success(p1, 1);
    expect(breaker.state).toBe('half_open');
    // One probe has succeeded, one is in flight: no more are handed out.
    expect(breaker.tryAcquire()).toBeNull();
    breaker.success(p2, 1);
    expect(breaker.state).toBe('closed');
    expect(changes.at(-1)).toMatchObject({ from: 'half_open', to: 'closed', reason: 'probe_succeeded' });
    expect(breaker.tryAcquire()?.probe).toBe(false);
  });

  it('closes with an empty window: failures from before the outage do not count after it', () => {
    const { breaker, clock, fail, succeed } = setup();
    fail(3);
    clock.advance(1000);
    succeed(1);
    expect(breaker.state).toBe('closed');
    expect(breaker.windowCounts()).toEqual({ calls: 0, failures: 0 });
    fail(2);
    expect(breaker.state).toBe('closed');
  });

  it('re-opens when any probe fails, and waits a full reset timeout again', () => {
    const { breaker, clock, changes, fail } = setup({ halfOpenProbes: 2 });
    fail(3);
    clock.advance(1000);
    const p1 = breaker.tryAcquire() as BreakerPermit;
    const p2 = breaker.tryAcquire() as BreakerPermit;
    breaker.success(p1, 1);
    breaker.failure(p2);
    expect(breaker.state).toBe('open');
    expect(changes.at(-1)).toMatchObject({ from: 'half_open', to: 'open', reason: 'probe_failed' });
    clock.advance(999);
    expect(breaker.tryAcquire()).toBeNull();
    clock.advance(1);
    expect(breaker.tryAcquire()?.probe).toBe(true);
  });

  it('re-opens on a slow probe', () => {
    const { breaker, clock, fail } = setup({ slowCallMs: 10 });
    fail(3);
    clock.advance(1000);
    breaker.success(breaker.tryAcquire() as BreakerPermit, 11);
    expect(breaker.state).toBe('open');
  });

  it('ignores reports carrying a permit from an older generation', () => {
    const { breaker, clock, fail } = setup({ halfOpenProbes: 1 });
    const stale = breaker.tryAcquire() as BreakerPermit;
    fail(3);
    clock.advance(1000);
    const probe = breaker.tryAcquire() as BreakerPermit;
    // A slow call from before the breaker opened reports late: it must not fail the probe round…
    breaker.failure(stale);
    expect(breaker.state).toBe('half_open');
    // …nor count as a probe success.
    breaker.success(stale, 1);
    expect(breaker.state).toBe('half_open');
    expect(breaker.tryAcquire()).toBeNull();
    breaker.success(probe, 1);
    expect(breaker.state).toBe('closed');
    // The old half-open probe permit is stale now too.
    breaker.failure(probe);
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.windowCounts()).toEqual({ calls: 0, failures: 0 });
  });

  it('a stale success does not reset the failure count of a newer closed period', () => {
    const { breaker, fail } = setup();
    const stale = breaker.tryAcquire() as BreakerPermit;
    breaker.open();
    breaker.reset();
    fail(2);
    breaker.success(stale, 1);
    expect(breaker.consecutiveFailures).toBe(2);
    expect(breaker.windowCounts()).toEqual({ calls: 2, failures: 2 });
  });

  it('abandon() frees a probe slot without counting a success or a failure', () => {
    const { breaker, clock, fail } = setup({ halfOpenProbes: 1 });
    fail(3);
    clock.advance(1000);
    const probe = breaker.tryAcquire() as BreakerPermit;
    expect(breaker.tryAcquire()).toBeNull();
    breaker.abandon(probe);
    expect(breaker.state).toBe('half_open');
    expect(breaker.totalFailures).toBe(3);
    const next = breaker.tryAcquire() as BreakerPermit;
    expect(next.probe).toBe(true);
    breaker.success(next, 1);
    expect(breaker.state).toBe('closed');
  });

  it('abandon() ignores closed-state and stale permits', () => {
    const { breaker, clock, fail } = setup({ halfOpenProbes: 1 });
    const closedPermit = breaker.tryAcquire() as BreakerPermit;
    breaker.abandon(closedPermit);
    expect(breaker.state).toBe('closed');
    fail(3);
    clock.advance(1000);
    const probe = breaker.tryAcquire() as BreakerPermit;
    breaker.abandon(closedPermit);
    // The real probe is still in flight: no second one.
    expect(breaker.tryAcquire()).toBeNull();
    breaker.abandon(probe);
    breaker.abandon(probe);
    expect(breaker.tryAcquire()?.probe).toBe(true);
    expect(breaker.tryAcquire()).toBeNull();
  });

  it('reports consecutiveFailures and window counts as 0 while not closed', () => {
    const { breaker, fail } = setup();
    fail(3);
    expect(breaker.consecutiveFailures).toBe(0);
    expect(breaker.windowCounts()).toEqual({ calls: 0, failures: 0 });
  });

  it('reset() closes from any state and open() forces it open', () => {
    const { breaker, changes, fail } = setup();
    fail(3);
    breaker.reset();
    expect(breaker.state).toBe('closed');
    expect(changes.at(-1)).toMatchObject({ from: 'open', to: 'closed', reason: 'manual_reset' });
    breaker.open('down_at_startup');
    expect(breaker.state).toBe('open');
    expect(changes.at(-1)).toMatchObject({ from: 'closed', to: 'open', reason: 'down_at_startup' });
  });

  it('emits no event for a transition to the same state', () => {
    const { breaker, changes } = setup();
    breaker.reset();
    expect(changes).toHaveLength(0);
  });
});

describe('CircuitBreaker: reconnect', () => {
  it('halfOpen() moves OPEN to HALF_OPEN at once, long before the reset timeout, and a probe success closes it', () => {
    const { breaker, clock, changes, fail } = setup({ resetTimeoutMs: 60_000 });
    fail(3);
    clock.advance(200);
    expect(breaker.tryAcquire()).toBeNull();
    breaker.halfOpen('reconnected');
    expect(breaker.state).toBe('half_open');
    expect(breaker.rejectsCalls()).toBe(false);
    const probe = breaker.tryAcquire() as BreakerPermit;
    expect(probe.probe).toBe(true);
    expect(breaker.tryAcquire()).toBeNull();
    breaker.success(probe, 1);
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => `${c.from}>${c.to}:${c.reason}`)).toEqual([
      'closed>open:failures',
      'open>half_open:reconnected',
      'half_open>closed:probe_succeeded',
    ]);
  });

  it('a failed probe after a reconnect opens it for a full reset timeout again', () => {
    const { breaker, clock, fail } = setup({ resetTimeoutMs: 60_000 });
    fail(3);
    breaker.halfOpen();
    breaker.failure(breaker.tryAcquire() as BreakerPermit);
    expect(breaker.state).toBe('open');
    clock.advance(59_999);
    expect(breaker.tryAcquire()).toBeNull();
  });

  it('halfOpen() changes nothing while closed or half-open, and drops no probe in flight', () => {
    const { breaker, changes, clock, fail } = setup();
    breaker.halfOpen();
    expect(breaker.state).toBe('closed');
    fail(3);
    clock.advance(1000);
    const probe = breaker.tryAcquire() as BreakerPermit;
    breaker.halfOpen();
    expect(breaker.tryAcquire()).toBeNull();
    breaker.success(probe, 1);
    expect(breaker.state).toBe('closed');
    expect(changes.map((c) => c.reason)).toEqual(['failures', 'reset_timeout', 'probe_succeeded']);
  });

  it('ignores late reports from calls made on the dropped connection', () => {
    const { breaker, fail, permit } = setup();
    const lost = permit();
    fail(3);
    breaker.halfOpen();
    breaker.failure(lost);
    expect(breaker.state).toBe('half_open');
  });
});

describe('CircuitBreaker: events', () => {
  it('carries from, to, reason and the time', () => {
    const { clock, changes, fail } = setup();
    fail(3);
    expect(changes[0]).toEqual({ from: 'closed', to: 'open', reason: 'failures', at: clock.now() });
  });

  it('supports extra listeners that can unsubscribe, and survives a throwing listener', () => {
    const { breaker, fail } = setup();
    const seen: string[] = [];
    breaker.onStateChange(() => {
      throw new Error('broken listener');
    });
    const off = breaker.onStateChange((c) => seen.push(c.to));
    fail(3);
    off();
    breaker.reset();
    expect(seen).toEqual(['open']);
    expect(breaker.state).toBe('closed');
  });
});

describe('CircuitBreaker: options', () => {
  it('has the documented defaults', () => {
    const b = new CircuitBreaker();
    expect([b.failureRateThreshold, b.minimumCalls, b.slidingWindowMs, b.resetTimeoutMs, b.halfOpenProbes, b.slowCallMs]).toEqual([
      50,
      5,
      1000,
      60_000,
      1,
      Number.POSITIVE_INFINITY,
    ]);
  });

  it('takes the deprecated failureThreshold as minimumCalls', () => {
    const b = new CircuitBreaker({ failureThreshold: 7 });
    expect(b.minimumCalls).toBe(7);
    expect(b.failureThreshold).toBe(7);
    const error = thrown(() => new CircuitBreaker({ failureThreshold: 7, minimumCalls: 3 })) as RateLimitConfigError;
    expect(issueKeys(error)).toEqual(['circuitBreaker.failureThreshold']);
    expect(error.issues[0]?.message).toBe('is the deprecated name of minimumCalls: give only minimumCalls, got 7');
  });

  it.each<[Partial<CircuitBreakerOptions>, string]>([
    [{ failureThreshold: 0 }, 'circuitBreaker.failureThreshold'],
    [{ failureThreshold: 1.5 }, 'circuitBreaker.failureThreshold'],
    [{ minimumCalls: 0 }, 'circuitBreaker.minimumCalls'],
    [{ minimumCalls: 2.5 }, 'circuitBreaker.minimumCalls'],
    [{ failureRateThreshold: 0 }, 'circuitBreaker.failureRateThreshold'],
    [{ failureRateThreshold: 100.5 }, 'circuitBreaker.failureRateThreshold'],
    [{ failureRateThreshold: Number.NaN }, 'circuitBreaker.failureRateThreshold'],
    [{ slidingWindowMs: 0 }, 'circuitBreaker.slidingWindowMs'],
    [{ slidingWindowMs: 10.5 }, 'circuitBreaker.slidingWindowMs'],
    [{ slidingWindowMs: 2 ** 31 }, 'circuitBreaker.slidingWindowMs'],
    [{ halfOpenProbes: 0 }, 'circuitBreaker.halfOpenProbes'],
    [{ resetTimeoutMs: 0 }, 'circuitBreaker.resetTimeoutMs'],
    [{ resetTimeoutMs: Number.NaN }, 'circuitBreaker.resetTimeoutMs'],
    [{ resetTimeoutMs: 2 ** 31 }, 'circuitBreaker.resetTimeoutMs'],
    [{ slowCallMs: -1 }, 'circuitBreaker.slowCallMs'],
  ])('rejects %o with RateLimitConfigError', (options, key) => {
    const error = thrown(() => new CircuitBreaker(options));
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect(issueKeys(error)).toEqual([key]);
  });

  it('accepts the bounds', () => {
    const b = new CircuitBreaker({ failureRateThreshold: 100, minimumCalls: 1, slidingWindowMs: 2 ** 31 - 1, resetTimeoutMs: 2 ** 31 - 1 });
    expect([b.failureRateThreshold, b.minimumCalls]).toEqual([100, 1]);
  });

  it('lists every bad option at once', () => {
    const error = thrown(() => new CircuitBreaker({ minimumCalls: 0, failureRateThreshold: 0, halfOpenProbes: -1, resetTimeoutMs: -1 }));
    expect(issueKeys(error).sort()).toEqual([
      'circuitBreaker.failureRateThreshold',
      'circuitBreaker.halfOpenProbes',
      'circuitBreaker.minimumCalls',
      'circuitBreaker.resetTimeoutMs',
    ]);
  });

  it('encodes states for gauges', () => {
    expect(CIRCUIT_STATE_VALUE).toEqual({ closed: 0, half_open: 1, open: 2 });
  });
});
