import { describe, expect, it } from 'vitest';
import {
  type BreakerPermit,
  CIRCUIT_STATE_VALUE,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitStateChange,
  RateLimitConfigError,
} from '../src/index.js';
import { FakeClock, issueKeys, thrown } from './support.js';

function setup(options: Omit<CircuitBreakerOptions, 'clock'> = {}) {
  const clock = new FakeClock();
  const changes: CircuitStateChange[] = [];
  const breaker = new CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 1000, clock, onStateChange: (c) => changes.push(c), ...options });
  const fail = (n = 1) => {
    for (let i = 0; i < n; i++) breaker.failure(breaker.tryAcquire());
  };
  const succeed = () => breaker.success(breaker.tryAcquire() as BreakerPermit, 1);
  return { clock, breaker, changes, fail, succeed };
}

describe('CircuitBreaker: closed', () => {
  it('starts closed and hands out non-probe permits', () => {
    const { breaker } = setup();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toEqual({ generation: 0, probe: false });
  });

  it('opens after exactly failureThreshold consecutive failures', () => {
    const { breaker, changes, fail } = setup();
    fail(2);
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(2);
    fail(1);
    expect(breaker.state).toBe('open');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ from: 'closed', to: 'open', reason: 'failures' });
  });

  it('a success resets the consecutive failure count', () => {
    const { breaker, fail, succeed } = setup();
    fail(2);
    succeed();
    expect(breaker.consecutiveFailures).toBe(0);
    fail(2);
    expect(breaker.state).toBe('closed');
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
    const { breaker, changes } = setup({ slowCallMs: 50 });
    for (let i = 0; i < 3; i++) breaker.success(breaker.tryAcquire() as BreakerPermit, 51);
    expect(breaker.state).toBe('open');
    expect(changes[0]?.reason).toBe('failures');
  });

  it('does not count a call exactly at slowCallMs as slow', () => {
    const { breaker } = setup({ slowCallMs: 50 });
    for (let i = 0; i < 5; i++) breaker.success(breaker.tryAcquire() as BreakerPermit, 50);
    expect(breaker.state).toBe('closed');
    expect(breaker.totalFailures).toBe(0);
  });

  it('never counts slow calls when slowCallMs is not set', () => {
    const { breaker } = setup();
    for (let i = 0; i < 5; i++) breaker.success(breaker.tryAcquire() as BreakerPermit, 1e9);
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
  });

  it('a stale success does not reset the failure count of a newer closed period', () => {
    const { breaker, fail } = setup();
    const stale = breaker.tryAcquire() as BreakerPermit;
    breaker.open();
    breaker.reset();
    fail(2);
    breaker.success(stale, 1);
    expect(breaker.consecutiveFailures).toBe(2);
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

  it('reports consecutiveFailures as 0 while not closed', () => {
    const { breaker, fail } = setup();
    fail(3);
    expect(breaker.consecutiveFailures).toBe(0);
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
    expect([b.failureThreshold, b.resetTimeoutMs, b.halfOpenProbes, b.slowCallMs]).toEqual([5, 60_000, 1, Number.POSITIVE_INFINITY]);
  });

  it.each<[Partial<CircuitBreakerOptions>, string]>([
    [{ failureThreshold: 0 }, 'circuitBreaker.failureThreshold'],
    [{ failureThreshold: 1.5 }, 'circuitBreaker.failureThreshold'],
    [{ halfOpenProbes: 0 }, 'circuitBreaker.halfOpenProbes'],
    [{ resetTimeoutMs: 0 }, 'circuitBreaker.resetTimeoutMs'],
    [{ resetTimeoutMs: Number.NaN }, 'circuitBreaker.resetTimeoutMs'],
    [{ slowCallMs: -1 }, 'circuitBreaker.slowCallMs'],
  ])('rejects %o with RateLimitConfigError', (options, key) => {
    const error = thrown(() => new CircuitBreaker(options));
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect(issueKeys(error)).toEqual([key]);
  });

  it('lists every bad option at once', () => {
    const error = thrown(() => new CircuitBreaker({ failureThreshold: 0, halfOpenProbes: -1, resetTimeoutMs: -1 }));
    expect(issueKeys(error).sort()).toEqual(['circuitBreaker.failureThreshold', 'circuitBreaker.halfOpenProbes', 'circuitBreaker.resetTimeoutMs']);
  });

  it('encodes states for gauges', () => {
    expect(CIRCUIT_STATE_VALUE).toEqual({ closed: 0, half_open: 1, open: 2 });
  });
});
