/**
 * A decision and a concurrency slot in one store call (`consumeAndAcquire`, one Redis round
 * trip): through ResilientStore (blocked cache, breaker, fallback) and the manager/HTTP limiter.
 */
import { describe, expect, it } from 'vitest';
import { createRateLimitManager, MemoryStore } from '../src/index.js';
import { createHttpRateLimiter } from '../src/adapter.js';
import { type AdmitRequest, type BucketPolicy, ResilientStore } from '../src/store.js';
import { CombinedScriptedStore, FakeClock, ScriptedStore } from './support.js';

const FREE: BucketPolicy = { rate: 5, burst: 10 };

function resilient(primary: ScriptedStore, clock: FakeClock) {
  return new ResilientStore({
    primary,
    fallback: new MemoryStore({ clock, sweepIntervalMs: 0 }),
    timeoutMs: 20,
    breaker: { minimumCalls: 3, resetTimeoutMs: 1000 },
    clock,
  });
}

/** The admission of one request of `cost` on `{t}`, with `limit` leases of a minute. */
const admitRequest = (limit: number, leaseAlways = false, cost = 1): AdmitRequest => ({
  key: '{t}:b',
  policy: FREE,
  cost,
  leaseKey: '{t}:c',
  limit,
  leaseMs: 60_000,
  leaseAlways,
});

describe('ResilientStore.consumeAndAcquire', () => {
  it('makes one primary call per admission and caches a denial so the next costs none', async () => {
    const clock = new FakeClock();
    const primary = new CombinedScriptedStore(clock);
    const store = resilient(primary, clock);
    for (let i = 1; i <= 10; i++) {
      const { decision, lease } = await store.consumeAndAcquire(admitRequest(100));
      expect(decision).toMatchObject({ allowed: true, remaining: 10 - i, source: 'primary' });
      expect(lease).toMatchObject({ allowed: true, active: i });
    }
    const denied = await store.consumeAndAcquire(admitRequest(100));
    expect(denied.decision).toMatchObject({ allowed: false, source: 'primary' });
    expect(denied.lease).toBeUndefined();
    expect(primary.calls).toEqual({ consumeAndAcquire: 11 });
    const cached = await store.consumeAndAcquire(admitRequest(100));
    expect(cached.decision.source).toBe('blocked-cache');
    expect(primary.calls).toEqual({ consumeAndAcquire: 11 });
    // Shadow mode still needs a slot after a cached denial.
    const shadow = await store.consumeAndAcquire(admitRequest(100, true));
    expect(shadow.decision.source).toBe('blocked-cache');
    expect(shadow.lease).toMatchObject({ allowed: true, active: 11 });
  });

  it('answers from the fallback (decision and lease) when the primary fails, and the failures open the breaker', async () => {
    const clock = new FakeClock();
    const primary = new CombinedScriptedStore(clock);
    const store = resilient(primary, clock);
    primary.mode = 'fail';
    for (let i = 0; i < 3; i++) {
      const { decision, lease } = await store.consumeAndAcquire(admitRequest(2));
      expect(decision).toMatchObject({ allowed: true, source: 'fallback' });
      if (i < 2) expect(lease?.leaseId?.startsWith('fb:')).toBe(true);
      else expect(lease).toMatchObject({ allowed: false, active: 2 });
    }
    expect(store.breaker.state).toBe('open');
    expect(primary.calls.consumeAndAcquire).toBe(3);
    await store.consumeAndAcquire(admitRequest(2));
    expect(primary.calls.consumeAndAcquire).toBe(3);
  });

  it('times a hung primary out like any call', async () => {
    const clock = new FakeClock();
    const primary = new CombinedScriptedStore(clock);
    const store = resilient(primary, clock);
    primary.mode = 'hang';
    const { decision, lease } = await store.consumeAndAcquire(admitRequest(2));
    expect(decision.source).toBe('fallback');
    expect(lease?.allowed).toBe(true);
  });

  it('uses consume then acquire when the primary has no combined call', async () => {
    const clock = new FakeClock();
    const primary = new ScriptedStore(clock);
    const store = resilient(primary, clock);
    const { decision, lease } = await store.consumeAndAcquire(admitRequest(2));
    expect(decision.allowed).toBe(true);
    expect(lease?.allowed).toBe(true);
    expect(primary.calls).toEqual({ consume: 1, acquire: 1 });
  });
});

describe('RateLimitManager.admitSync with a store that takes slots only asynchronously', () => {
  it('answers undefined before consuming anything (open breaker: the fallback decides, the slot needs a promise); admit then decides once', async () => {
    const clock = new FakeClock();
    const store = new ScriptedStore(clock);
    const manager = createRateLimitManager({ env: false, load: { enabled: false }, clock, store });
    manager.breaker.open();
    expect(manager.admitSync('acme')).toBeUndefined();
    // Synchronous denials and decisions without a slot still need no promise.
    expect(manager.checkRateLimitSync('acme')).toMatchObject({ allowed: true, metadata: { source: 'fallback', remaining: 9 } });
    const { decision, slot } = await manager.admit('acme');
    expect(decision.metadata).toMatchObject({ source: 'fallback', remaining: 8 });
    expect(slot?.allowed).toBe(true);
    await slot?.release();
    expect(store.calls).toEqual({});
  });
});

describe('HTTP limiter with a store that admits in one call', () => {
  function setup(options: { shadow?: boolean; maxConcurrent?: number } = {}) {
    const clock = new FakeClock();
    const primary = new CombinedScriptedStore(clock);
    const limiter = createHttpRateLimiter({
      env: false,
      clock,
      load: { enabled: false },
      store: resilient(primary, clock),
      shadow: options.shadow ?? false,
      tiers: { free: { requestsPerSecond: 1, burstSize: 2, maxConcurrentRequests: options.maxConcurrent ?? 10 } },
      admin: false,
    });
    const request = () => limiter.handle({ raw: {}, method: 'GET', url: '/x', headers: { 'x-tenant-id': 'acme' }, ip: '127.0.0.1' });
    return { primary, limiter, request };
  }

  it('decides and takes the slot in one primary call, then releases it with one more', async () => {
    const { primary, limiter, request } = setup();
    const outcome = await request();
    expect(outcome.action).toBe('continue');
    expect(primary.calls).toEqual({ consumeAndAcquire: 1 });
    if (outcome.action !== 'continue') throw new Error('unreachable');
    await outcome.release?.();
    await outcome.release?.();
    expect(primary.calls).toEqual({ consumeAndAcquire: 1, release: 1 });
    expect(await primary.inner.countLeases('{acme}:c')).toBe(0);
    await limiter.close();
  });

  it('refuses with concurrency_limited when the combined call grants the token but not the slot', async () => {
    const { primary, limiter, request } = setup({ maxConcurrent: 1 });
    const first = await request();
    const second = await request();
    expect(first.action).toBe('continue');
    expect(second.action).toBe('respond');
    if (second.action !== 'respond') throw new Error('unreachable');
    expect(second.status).toBe(429);
    expect(JSON.stringify(second.body)).toContain('concurrency');
    expect(primary.calls).toEqual({ consumeAndAcquire: 2 });
    await limiter.close();
  });

  it('in shadow mode takes a slot even for a request over its rate', async () => {
    const { primary, limiter, request } = setup({ shadow: true });
    const outcomes = [await request(), await request(), await request()];
    expect(outcomes.map((o) => o.action)).toEqual(['continue', 'continue', 'continue']);
    expect(await primary.inner.countLeases('{acme}:c')).toBe(3);
    await limiter.close();
  });
});

describe('a load factor that underflows to 0', () => {
  it('still decides (a near-closed bucket), never throws or fails open', async () => {
    const { createRateLimitManager } = await import('../src/index.js');
    const m = createRateLimitManager({
      env: false,
      load: { signal: () => 1, smoothingMs: 0, minFactor: 1e-300, floor: 0 },
      tiers: { free: { priorityBoost: 0.001 } },
    });
    const first = await m.checkRateLimit('acme');
    expect(first.metadata.loadFactor).toBe(0);
    expect(first.allowed).toBe(true); // the one-token bucket
    const second = await m.checkRateLimit('acme');
    expect(second).toMatchObject({ allowed: false, metadata: { reason: 'load_shed' } });
    await m.close();
  });
});

describe('adaptive concurrency with a store that admits in one call', () => {
  it('decides first and takes a slot only once the adaptive limit lets the request in', async () => {
    const clock = new FakeClock();
    const primary = new CombinedScriptedStore(clock);
    const limiter = createHttpRateLimiter({
      env: false,
      clock,
      store: resilient(primary, clock),
      load: { signal: () => 0, adaptiveConcurrency: { initialLimit: 2, minLimit: 2, maxLimit: 2 } },
      admin: false,
    });
    const request = (tenant: string) => limiter.handle({ raw: {}, method: 'GET', url: '/x', headers: { 'x-tenant-id': tenant }, ip: '127.0.0.1' });
    const first = await request('ent-a'); // free tier: may fill half of the limit (one request)
    const refused = await request('ent-a');
    expect(first.action).toBe('continue');
    expect(refused).toMatchObject({ action: 'respond', status: 503 });
    expect(primary.calls).toEqual({ consume: 2, acquire: 1 });
    if (first.action === 'continue') await first.release?.();
    await limiter.close();
  });

  it('ends the in-flight count of a request whose slot could not be taken', async () => {
    const clock = new FakeClock();
    const limiter = createHttpRateLimiter({
      env: false,
      clock,
      load: { signal: () => 0, adaptiveConcurrency: { initialLimit: 4, minLimit: 2, maxLimit: 8 } },
      admin: false,
    });
    limiter.manager.acquireConcurrency = () => Promise.reject(new TypeError('bug'));
    const outcome = await limiter.handle({ raw: {}, method: 'GET', url: '/x', headers: { 'x-tenant-id': 'acme' }, ip: '127.0.0.1' });
    expect(outcome).toMatchObject({ action: 'respond', status: 503 });
    expect(limiter.manager.load?.inFlight).toBe(0);
    await limiter.close();
  });
});
