/**
 * Issue 16: a tenant or tier lookup that never answers must not hang requests. Driven by a fake
 * clock and manual timers: nothing here waits in real time.
 */
import { describe, expect, it, vi } from 'vitest';
import type { LookupFailure, ResolveTier, Tier } from '../src/index.js';
import { createHttpRateLimiter } from '../src/adapter.js';
import { TierResolver, type TierResolverOptions } from '../src/tenant/tier-resolver.js';
import { FakeClock, ManualTimers, recordingLogger } from './support.js';

const never = <T>() => new Promise<T>(() => {});
/** Lets every settled promise run its callbacks. */
const flush = () => new Promise((r) => setImmediate(r));

function resolver(resolveTier: ResolveTier, options: Partial<TierResolverOptions> = {}) {
  const clock = new FakeClock();
  const timers = new ManualTimers(clock);
  const log = recordingLogger();
  const failures: LookupFailure[] = [];
  const r = new TierResolver({
    rules: [],
    resolveTier,
    defaultTier: 'free',
    cacheSize: 100,
    cacheTtlMs: 1000,
    timeoutMs: 100,
    clock,
    timers,
    logger: log.logger,
    onFailure: (f) => failures.push(f),
    ...options,
  });
  /** Moves fake time on and fires what is due. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    timers.run();
    await flush();
  };
  return { r, clock, timers, log, failures, advance };
}

/** Tracks whether a promise has settled yet. */
function track<T>(promise: Promise<T> | T) {
  const state: { settled: boolean; value?: T } = { settled: false };
  void Promise.resolve(promise).then((value) => {
    state.settled = true;
    state.value = value;
  });
  return state;
}

describe('resolveTier under a deadline', () => {
  it('a lookup that never settles gives the default tier once the deadline passes, and is counted and logged', async () => {
    const { r, advance, failures, log } = resolver(() => never());
    const answer = track(r.resolve('acme'));
    await advance(99);
    expect(answer.settled).toBe(false);
    await advance(1);
    expect(answer).toEqual({ settled: true, value: 'free' });
    expect(failures).toEqual([{ lookup: 'resolveTier', reason: 'timeout' }]);
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  it('serves the last known tier when the refresh hangs, and a late answer refreshes it in the background', async () => {
    let next: () => Promise<Tier> = async () => 'premium';
    const { r, advance } = resolver(() => next());
    expect(await r.resolve('acme')).toBe('premium');
    let finish: (tier: Tier) => void = () => {};
    next = () =>
      new Promise<Tier>((resolve) => {
        finish = resolve;
      });
    await advance(1000); // the cached answer is stale now
    const answer = track(r.resolve('acme'));
    await advance(100);
    expect(answer).toEqual({ settled: true, value: 'premium' });
    // While the refresh is overdue, requests do not wait for it again.
    expect(r.resolve('acme')).toBe('premium');
    finish('enterprise');
    await flush();
    expect(r.resolve('acme')).toBe('enterprise');
  });

  it('a rejecting lookup gives the last known tier, else the default', async () => {
    let fail = false;
    const { r, advance, failures } = resolver(async (): Promise<Tier> => {
      if (fail) throw new Error('db down');
      return 'basic';
    });
    expect(await r.resolve('known')).toBe('basic');
    fail = true;
    await advance(1000);
    expect(await r.resolve('known')).toBe('basic');
    expect(await r.resolve('unknown')).toBe('free');
    expect(failures.map((f) => f.reason)).toEqual(['error', 'error']);
  });

  it('coalesces the lookups of one tenant: concurrent requests share one call and one deadline', async () => {
    let finish: (tier: Tier) => void = () => {};
    const lookup = vi.fn<ResolveTier>(
      () =>
        new Promise<Tier>((resolve) => {
          finish = resolve;
        }),
    );
    const { r, advance } = resolver(lookup);
    const answers = [track(r.resolve('acme')), track(r.resolve('acme'))];
    await advance(60);
    answers.push(track(r.resolve('acme')));
    await advance(39);
    expect(answers.every((a) => !a.settled)).toBe(true);
    // The third request waits only for what is left of the first one's deadline.
    await advance(1);
    expect(answers.map((a) => a.value)).toEqual(['free', 'free', 'free']);
    expect(lookup).toHaveBeenCalledTimes(1);
    finish('premium');
    await flush();
    expect(r.resolve('acme')).toBe('premium');
    expect(lookup).toHaveBeenCalledTimes(1);
  });
});

describe('the manager and the HTTP limiter under a hanging lookup', () => {
  function setup(options: Parameters<typeof createHttpRateLimiter>[0] = {}) {
    const clock = new FakeClock();
    const timers = new ManualTimers(clock);
    const log = recordingLogger();
    const failures: LookupFailure[] = [];
    const http = createHttpRateLimiter({
      env: false,
      load: { enabled: false },
      clock,
      timers,
      logger: log.logger,
      observer: { onLookupFailure: (f) => failures.push(f) },
      ...options,
    });
    const advance = async (ms: number) => {
      clock.advance(ms);
      timers.run();
      await flush();
    };
    return { http, manager: http.manager, advance, failures, log };
  }

  it('checkRateLimit settles at the deadline with the default tier instead of hanging', async () => {
    const { manager, advance, failures } = setup({ resolveTier: () => never(), lookupTimeoutMs: 250 });
    const decision = track(manager.checkRateLimit('acme', '/'));
    await advance(249);
    expect(decision.settled).toBe(false);
    await advance(1);
    expect(decision.settled).toBe(true);
    expect(decision.value).toMatchObject({ allowed: true, metadata: { tier: 'free', tenantId: 'acme' } });
    expect(failures).toEqual([{ lookup: 'resolveTier', reason: 'timeout' }]);
    // Later requests of the tenant do not wait for the overdue lookup.
    const second = track(manager.checkRateLimit('acme', '/'));
    await flush();
    expect(second.settled).toBe(true);
  });

  it('an HTTP request whose resolveTenant never answers is limited as anonymous after the deadline', async () => {
    const { http, advance, failures, log } = setup({ resolveTenant: () => never<string>() });
    const outcome = track(http.handle({ method: 'GET', url: '/', headers: {}, ip: '203.0.113.9', raw: {} }));
    await advance(99);
    expect(outcome.settled).toBe(false);
    await advance(1);
    expect(outcome.value).toMatchObject({ action: 'continue', headers: { 'X-RateLimit-Tenant': 'anonymous' } });
    expect(failures).toEqual([{ lookup: 'resolveTenant', reason: 'timeout' }]);
    for (let i = 0; i < 5; i++) {
      const again = track(http.handle({ method: 'GET', url: '/', headers: {}, ip: '203.0.113.9', raw: {} }));
      await advance(100);
      expect(again.settled).toBe(true);
    }
    // Counted every time, logged once per interval.
    expect(failures).toHaveLength(6);
    expect(log.lines.filter((l) => l.msg?.startsWith('resolveTenant did not answer'))).toHaveLength(1);
  });

  it('a synchronous resolveTenant needs no timer', async () => {
    const { http } = setup({ resolveTenant: () => 'acme' });
    const outcome = await http.handle({ method: 'GET', url: '/', headers: {}, raw: {} });
    expect(outcome).toMatchObject({ action: 'continue', headers: { 'X-RateLimit-Tenant': 'acme' } });
  });
});
