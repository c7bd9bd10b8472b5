import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, MemoryStore, RateLimitConfigError, type StoreFailure, StoreTimeoutError, StoreUnavailableError } from '../src/index.js';
import { type BucketPolicy, CircuitBreaker, ResilientStore, type ResilientStoreOptions } from '../src/store.js';
import { FakeClock, issueKeys, ManualTimers, recordingLogger, rejected, ScriptedStore, thrown } from './support.js';

const FREE: BucketPolicy = { rate: 5, burst: 10 };
const TIMEOUT = 20;

function setup(options: Partial<ResilientStoreOptions> & { clock?: FakeClock } = {}) {
  const clock = options.clock ?? new FakeClock();
  const primary = new ScriptedStore(clock);
  const fallback = new MemoryStore({ clock, sweepIntervalMs: 0 });
  const failures: StoreFailure[] = [];
  const log = recordingLogger();
  const store = new ResilientStore({
    primary,
    fallback,
    timeoutMs: TIMEOUT,
    breaker: { minimumCalls: 3, resetTimeoutMs: 1000 },
    clock,
    logger: log.logger,
    onFailure: (f) => failures.push(f),
    ...options,
  });
  return { clock, primary, fallback, store, failures, log };
}

/** Lets the event loop run twice round (a timeout rejects one setImmediate after its timer fires). */
const turns = async () => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
};

/**
 * A setup on manual timers, and a probe that a call settles exactly when `ms` of (fake) time
 * has passed: still pending at `ms` − 1 after every due timer ran, settled at `ms`. Unlike a
 * wall-clock bound this cannot flake on a loaded machine, and a timeout that is not armed, is
 * armed too long, or is not honoured fails it.
 */
function manualSetup(options: Omit<Partial<ResilientStoreOptions>, 'clock' | 'timers'> = {}) {
  const clock = new FakeClock();
  const timers = new ManualTimers(clock);
  const s = setup({ ...options, clock, timers });
  async function settlesAfter<T>(call: () => Promise<T>, ms: number, label = 'the call'): Promise<T> {
    let settled = false;
    const promise = call();
    promise.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await turns();
    expect(settled, `${label} settled before any time passed`).toBe(false);
    clock.advance(ms - 1);
    timers.run();
    await turns();
    expect(settled, `${label} settled before ${ms} ms`).toBe(false);
    clock.advance(1);
    timers.run();
    await turns();
    expect(settled, `${label} still pending after ${ms} ms`).toBe(true);
    return promise;
  }
  /** `call` settles with no time passing and no timer firing. */
  async function settlesAtOnce<T>(call: () => Promise<T>): Promise<T> {
    let settled = false;
    const promise = call();
    promise.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await turns();
    expect(settled, 'waited for a timer').toBe(true);
    return promise;
  }
  return { ...s, clock, timers, settlesAfter, settlesAtOnce };
}

describe('ResilientStore with a healthy primary', () => {
  it('answers from the primary and marks the source', async () => {
    const { store, primary, fallback } = setup();
    const r = await store.consume('{t}:b', FREE, 1);
    expect(r).toEqual({ allowed: true, limit: 10, remaining: 9, retryAfterMs: 0, resetAfterMs: 200, source: 'primary' });
    expect(primary.calls.consume).toBe(1);
    expect((await fallback.inspect('{t}:b', FREE)).remaining).toBe(10);
  });

  it('passes denials of the primary through', async () => {
    const { store } = setup();
    for (let i = 0; i < 10; i++) await store.consume('{t}:b', FREE, 1);
    const r = await store.consume('{t}:b', FREE, 1);
    expect(r.allowed).toBe(false);
    expect(r.source).toBe('primary');
  });

  it('takes its name from the primary', () => {
    expect(setup().store.name).toBe('scripted');
  });

  it('counts a slow but successful call as a breaker failure, still using its answer', async () => {
    const { store, primary, clock } = setup({ breaker: { minimumCalls: 2, slowCallMs: 50 } });
    const consume = primary.consume.bind(primary);
    primary.consume = async (...args) => {
      clock.advance(60);
      return consume(...args);
    };
    expect((await store.consume('{t}:b', FREE, 1)).source).toBe('primary');
    expect(store.breaker.consecutiveFailures).toBe(1);
    await store.consume('{t}:b', FREE, 1);
    expect(store.breaker.state).toBe('open');
  });
});

describe('ResilientStore with a failing primary', () => {
  it('answers from the fallback at once and counts the failure', async () => {
    const { store, primary, failures, log } = setup();
    primary.mode = 'fail';
    const r = await store.consume('{t}:b', FREE, 1);
    expect(r).toMatchObject({ allowed: true, remaining: 9, source: 'fallback' });
    expect(store.breaker.consecutiveFailures).toBe(1);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ operation: 'consume', timedOut: false });
    expect(failures[0]?.error).toEqual(new Error('primary consume failed'));
    expect(log.lines.some((l) => l.level === 'warn' && l.obj.operation === 'consume')).toBe(true);
  });

  it('opens the breaker at the threshold and then stops calling the primary', async () => {
    const { store, primary } = setup();
    primary.mode = 'fail';
    for (let i = 0; i < 3; i++) await store.consume('{t}:b', FREE, 1);
    expect(store.breaker.state).toBe('open');
    expect(primary.calls.consume).toBe(3);
    const r = await store.consume('{t}:b', FREE, 1);
    expect(r.source).toBe('fallback');
    expect(r.remaining).toBe(6);
    expect(primary.calls.consume).toBe(3);
  });

  it('enforces limits in the fallback: a store error never admits more than the quota', async () => {
    const { store, primary } = setup();
    primary.mode = 'fail';
    const results = [];
    for (let i = 0; i < 11; i++) results.push(await store.consume('{t}:b', FREE, 1));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    expect(results[10]).toMatchObject({ allowed: false, source: 'fallback', retryAfterMs: 200 });
  });

  it('never turns a store error into a denial by itself', async () => {
    for (const failMode of ['fallback', 'open'] as const) {
      const { store, primary } = setup({ failMode });
      primary.mode = 'fail';
      for (let i = 0; i < 5; i++) {
        const r = await store.consume(`{tenant-${i}}:b`, FREE, 10);
        expect(r.allowed).toBe(true);
      }
    }
  });

  it('divides every limit by fallbackShare in the fallback', async () => {
    const { store, primary } = setup({ fallbackShare: 4 });
    primary.mode = 'fail';
    const a = await store.consume('{t}:b', FREE, 1);
    const b = await store.consume('{t}:b', FREE, 1);
    const c = await store.consume('{t}:b', FREE, 1);
    expect([a.allowed, b.allowed, c.allowed]).toEqual([true, true, false]);
    expect(a.limit).toBe(2);
    // rate 5 / 4 = 1.25 per second: one token every 800 ms.
    expect(c.retryAfterMs).toBe(800);
    const leases = await Promise.all([1, 2, 3].map(() => store.acquire('{t}:c', 10, 60_000)));
    expect(leases.map((l) => l.allowed)).toEqual([true, true, false]);
    expect(leases[2]?.limit).toBe(2);
  });

  it('never divides a limit below 1', async () => {
    const { store, primary } = setup({ fallbackShare: 50 });
    primary.mode = 'fail';
    const r = await store.consume('{t}:b', FREE, 1);
    expect(r).toMatchObject({ allowed: true, limit: 1 });
  });

  it('does not divide limits while the primary answers', async () => {
    const { store } = setup({ fallbackShare: 4 });
    expect((await store.consume('{t}:b', FREE, 1)).limit).toBe(10);
  });

  it('with failMode open admits with source fail-open', async () => {
    const { store, primary } = setup({ failMode: 'open' });
    primary.mode = 'fail';
    for (let i = 0; i < 20; i++) {
      expect(await store.consume('{t}:b', FREE, 5)).toEqual({ allowed: true, limit: 10, remaining: 10, retryAfterMs: 0, resetAfterMs: 0, source: 'fail-open' });
    }
    const lease = await store.acquire('{t}:c', 1, 60_000);
    expect(lease).toEqual({ allowed: true, active: 0, limit: 1 });
  });

  it('with failMode closed refuses with StoreUnavailableError', async () => {
    const { store, primary } = setup({ failMode: 'closed' });
    primary.mode = 'fail';
    const error = await rejected(store.consume('{t}:b', FREE, 1));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).code).toBe('ERR_AURUM_STORE_UNAVAILABLE');
    expect(await rejected(store.acquire('{t}:c', 1, 60_000))).toBeInstanceOf(StoreUnavailableError);
    expect(store.breaker.consecutiveFailures).toBe(2);
  });

  it('decides from the fallback when the primary refuses a call as invalid, reporting it without counting it against the primary', async () => {
    const { store, primary, failures, fallback } = setup();
    primary.throwError = new InvalidArgumentError('leaseMs must be a whole number >= 1, got 1500.5');
    // An error from the store is never an allow: the fallback decides (and limits).
    const answers = [];
    for (let i = 0; i < 12; i++) answers.push(await store.consume('{t}:b', FREE, 1));
    expect(answers.map((r) => r.source)).toEqual(Array(12).fill('fallback'));
    expect(answers.filter((r) => r.allowed)).toHaveLength(10);
    expect((await store.acquire('{t}:c', 1, 1000)).leaseId).toMatch(/^fb:/);
    expect(store.breaker.state).toBe('closed');
    expect(store.breaker.consecutiveFailures).toBe(0);
    expect(store.breaker.totalFailures).toBe(0);
    expect(failures).toHaveLength(13);
    expect((await fallback.inspect('{t}:b', FREE)).remaining).toBe(0);
  });

  it('logs a failing primary once per interval, not once per request', async () => {
    const { store, primary, log, clock } = setup({ breaker: { failureThreshold: 1000, resetTimeoutMs: 1000 } });
    primary.mode = 'fail';
    for (let i = 0; i < 50; i++) await store.consume('{t}:b', FREE, 1);
    const lines = () => log.lines.filter((l) => l.msg?.startsWith('rate limit store call failed'));
    expect(lines()).toHaveLength(1);
    clock.advance(10_000);
    await store.consume('{t}:b', FREE, 1);
    expect(lines()).toHaveLength(2);
    expect(lines()[1]?.obj).toMatchObject({ suppressed: 49 });
  });

  it('an InvalidArgumentError during a probe does not use up the probe', async () => {
    const { store, primary, clock } = setup();
    primary.mode = 'fail';
    for (let i = 0; i < 3; i++) await store.consume('{t}:b', FREE, 1);
    clock.advance(1000);
    primary.mode = 'ok';
    primary.throwError = new InvalidArgumentError('bad cost');
    expect((await store.consume('{t}:b', FREE, 1)).source).toBe('fallback');
    primary.throwError = undefined;
    const r = await store.consume('{t}:b', FREE, 1);
    expect(r.source).toBe('primary');
    expect(store.breaker.state).toBe('closed');
  });

  it('validates arguments itself in the fallback path', async () => {
    const { store, primary } = setup();
    primary.mode = 'fail';
    for (let i = 0; i < 3; i++) await store.consume('{t}:b', FREE, 1);
    expect(await rejected(store.consume('{t}:b', FREE, 0))).toBeInstanceOf(InvalidArgumentError);
  });

  it('survives a throwing onFailure hook', async () => {
    const { store, primary } = setup({
      onFailure: () => {
        throw new Error('observer broke');
      },
    });
    primary.mode = 'fail';
    expect((await store.consume('{t}:b', FREE, 1)).source).toBe('fallback');
  });
});

describe('ResilientStore when a connection drops and comes back', () => {
  it('keeps the breaker closed when the calls in flight on a dropped connection fail together among successes', async () => {
    const { store, primary } = setup();
    for (let i = 0; i < 30; i++) await store.consume(`{t${i % 3}}:b`, FREE, 1);
    primary.mode = 'fail';
    const dropped = await Promise.all(Array.from({ length: 6 }, (_, i) => store.consume(`{t${i % 3}}:b`, FREE, 1)));
    expect(dropped.map((r) => r.source)).toEqual(Array(6).fill('fallback'));
    primary.mode = 'ok';
    expect(store.breaker.state).toBe('closed');
    expect((await store.consume('{t0}:b', FREE, 1)).source).toBe('primary');
  });

  it('probes at once when the primary reports a reconnect, instead of waiting out the reset timeout', async () => {
    const { store, primary, clock } = setup({ breaker: { minimumCalls: 3, resetTimeoutMs: 60_000 } });
    primary.mode = 'fail';
    for (let i = 0; i < 3; i++) await store.consume('{t}:b', FREE, 1);
    expect(store.breaker.state).toBe('open');
    primary.mode = 'ok';
    clock.advance(100);
    expect((await store.consume('{t}:b', FREE, 1)).source).toBe('fallback');
    primary.reconnected();
    expect(store.breaker.state).toBe('half_open');
    expect(store.consumeSync('{t}:b', FREE, 1)).toBeUndefined();
    expect((await store.consume('{t}:b', FREE, 1)).source).toBe('primary');
    expect(store.breaker.state).toBe('closed');
  });

  it('stops listening for reconnects on close()', async () => {
    const { store, primary } = setup();
    expect(primary.reconnectListeners.size).toBe(1);
    await store.close();
    expect(primary.reconnectListeners.size).toBe(0);
  });
});

describe('ResilientStore with a primary that hangs forever', () => {
  it('never holds a call longer than timeoutMs and answers from the fallback', async () => {
    const { store, primary, failures, settlesAfter } = manualSetup();
    primary.mode = 'hang';
    const value = await settlesAfter(() => store.consume('{t}:b', FREE, 1), TIMEOUT);
    expect(value).toMatchObject({ allowed: true, source: 'fallback' });
    expect(failures[0]?.timedOut).toBe(true);
    expect(failures[0]?.error).toBeInstanceOf(StoreTimeoutError);
    expect(failures[0]?.error).toMatchObject({ timeoutMs: TIMEOUT });
  });

  it('counts timeouts toward the breaker; once open, calls no longer wait at all', async () => {
    const { store, primary, settlesAfter, settlesAtOnce } = manualSetup();
    primary.mode = 'hang';
    for (let i = 0; i < 3; i++) await settlesAfter(() => store.consume('{t}:b', FREE, 1), TIMEOUT);
    expect(store.breaker.state).toBe('open');
    const value = await settlesAtOnce(() => store.consume('{t}:b', FREE, 1));
    expect(value.source).toBe('fallback');
    expect(primary.calls.consume).toBe(3);
  });

  it('bounds every other operation by the timeout too', async () => {
    const { store, primary, settlesAfter } = manualSetup();
    primary.mode = 'hang';
    const ops: Array<[string, () => Promise<unknown>]> = [
      ['acquire', () => store.acquire('{t}:c', 5, 60_000)],
      ['release', () => store.release('{t}:c', 'some-lease')],
      ['inspect', () => store.inspect('{t}:b', FREE)],
      ['countLeases', () => store.countLeases('{t}:c')],
      ['reset', () => store.reset('{t}:b').catch((e: unknown) => e)],
      ['ping', () => store.ping().catch((e: unknown) => e)],
    ];
    for (const [name, op] of ops) await settlesAfter(op, TIMEOUT, name);
  });

  it('ping rejects with StoreTimeoutError', async () => {
    const { store, primary } = setup();
    primary.mode = 'hang';
    expect(await rejected(store.ping())).toBeInstanceOf(StoreTimeoutError);
  });

  it('closes again after the reset timeout when the primary recovers', async () => {
    const { store, primary, clock } = setup();
    primary.mode = 'hang';
    for (let i = 0; i < 3; i++) await store.consume('{t}:b', FREE, 1);
    clock.advance(1000);
    primary.mode = 'ok';
    expect((await store.consume('{t}:b', FREE, 1)).source).toBe('primary');
    expect(store.breaker.state).toBe('closed');
  });

  it('re-opens when the probe times out as well', async () => {
    const { store, primary, clock } = setup();
    primary.mode = 'hang';
    for (let i = 0; i < 3; i++) await store.consume('{t}:b', FREE, 1);
    clock.advance(1000);
    expect((await store.consume('{t}:b', FREE, 1)).source).toBe('fallback');
    expect(store.breaker.state).toBe('open');
    expect(primary.calls.consume).toBe(4);
  });
});

describe('ResilientStore leases', () => {
  it('releases a lease acquired from the fallback to the fallback, even after the primary recovers', async () => {
    const { store, primary, fallback } = setup();
    primary.mode = 'fail';
    const lease = await store.acquire('{t}:c', 5, 60_000);
    expect(lease.allowed).toBe(true);
    expect(lease.leaseId).toMatch(/^fb:/);
    expect(await fallback.countLeases('{t}:c')).toBe(1);
    primary.mode = 'ok';
    await store.release('{t}:c', lease.leaseId as string);
    expect(await fallback.countLeases('{t}:c')).toBe(0);
    expect(primary.calls.release).toBeUndefined();
  });

  it('releases a primary lease to the primary even while the breaker is open', async () => {
    const { store, primary } = setup();
    const lease = await store.acquire('{t}:c', 5, 60_000);
    expect(lease.leaseId).not.toMatch(/^fb:/);
    expect(await primary.inner.countLeases('{t}:c')).toBe(1);
    store.breaker.open();
    await store.release('{t}:c', lease.leaseId as string);
    expect(await primary.inner.countLeases('{t}:c')).toBe(0);
  });

  it('swallows (and reports) a failed release', async () => {
    const { store, primary, failures } = setup();
    primary.mode = 'fail';
    await expect(store.release('{t}:c', 'x')).resolves.toBeUndefined();
    expect(failures.map((f) => f.operation)).toEqual(['release']);
    expect(store.breaker.consecutiveFailures).toBe(0);
  });

  it('reports a denied fallback acquire without a lease id', async () => {
    const { store, primary } = setup();
    primary.mode = 'fail';
    await store.acquire('{t}:c', 1, 60_000);
    const denied = await store.acquire('{t}:c', 1, 60_000);
    expect(denied).toEqual({ allowed: false, active: 1, limit: 1 });
  });
});

describe('ResilientStore reads, reset, close', () => {
  it('reads through the primary while closed and from the fallback while open', async () => {
    const { store, primary, fallback } = setup();
    await primary.inner.consume('{t}:b', FREE, 4);
    await fallback.consume('{t}:b', FREE, 1);
    expect((await store.inspect('{t}:b', FREE)).remaining).toBe(6);
    store.breaker.open();
    expect((await store.inspect('{t}:b', FREE)).remaining).toBe(9);
    expect(await store.countLeases('{t}:c')).toBe(0);
    expect(primary.calls.inspect).toBe(1);
  });

  it('falls back for a failed read without counting it against the breaker', async () => {
    const { store, primary, fallback, failures } = setup();
    await fallback.acquire('{t}:c', 5, 60_000);
    primary.mode = 'fail';
    expect(await store.countLeases('{t}:c')).toBe(1);
    expect(failures.map((f) => f.operation)).toEqual(['countLeases']);
    expect(store.breaker.consecutiveFailures).toBe(0);
  });

  it('inspects the fallback with the shared policy', async () => {
    const { store } = setup({ fallbackShare: 2 });
    store.breaker.open();
    expect(await store.inspect('{t}:b', FREE)).toEqual({ limit: 5, remaining: 5, resetAfterMs: 0 });
  });

  it('reset clears both stores', async () => {
    const { store, primary, fallback } = setup();
    await primary.inner.consume('{t}:b', FREE, 4);
    await fallback.consume('{t}:b', FREE, 4);
    await store.reset('{t}:b');
    expect((await primary.inner.inspect('{t}:b', FREE)).remaining).toBe(10);
    expect((await fallback.inspect('{t}:b', FREE)).remaining).toBe(10);
  });

  it('reset rejects with StoreUnavailableError when the primary fails, after clearing the fallback', async () => {
    const { store, primary, fallback } = setup();
    await fallback.consume('{t}:b', FREE, 4);
    primary.mode = 'fail';
    const error = await rejected(store.reset('{t}:b'));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect((await fallback.inspect('{t}:b', FREE)).remaining).toBe(10);
  });

  it('close closes the primary, and the fallback only when it created it', async () => {
    const { store, primary, fallback } = setup();
    await store.close();
    expect(await rejected(primary.inner.ping())).toBeDefined();
    await expect(fallback.ping()).resolves.toBeUndefined();

    const clock = new FakeClock();
    const own = new ResilientStore({ primary: new ScriptedStore(clock), clock });
    await own.close();
    expect(await rejected(own.fallback.ping())).toMatchObject({ code: 'ERR_AURUM_CLOSED' });
  });
});

describe('ResilientStore options', () => {
  it('uses a breaker instance when given one', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock });
    const store = new ResilientStore({ primary: new ScriptedStore(clock), breaker, clock });
    expect(store.breaker).toBe(breaker);
  });

  it('has the documented defaults', () => {
    const clock = new FakeClock();
    const store = new ResilientStore({ primary: new ScriptedStore(clock), clock });
    expect([store.timeoutMs, store.failMode, store.fallbackShare]).toEqual([100, 'fallback', 1]);
    expect(store.fallback).toBeInstanceOf(MemoryStore);
  });

  it('rejects bad options, all at once', () => {
    const error = thrown(
      () =>
        new ResilientStore({
          primary: undefined as unknown as ScriptedStore,
          timeoutMs: 0,
          failMode: 'maybe' as 'open',
          fallbackShare: 1.5,
        }),
    );
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect(issueKeys(error).sort()).toEqual(['failMode', 'fallbackShare', 'primary', 'timeoutMs']);
  });

  it('rejects breaker options through the breaker', () => {
    const clock = new FakeClock();
    expect(issueKeys(thrown(() => new ResilientStore({ primary: new ScriptedStore(clock), breaker: { minimumCalls: 0 } })))).toEqual([
      'circuitBreaker.minimumCalls',
    ]);
  });
});

describe('ResilientStore blocked-until cache', () => {
  async function exhaust(store: ResilientStore, key = '{t}:b') {
    for (let i = 0; i < 10; i++) await store.consume(key, FREE, 1);
    return store.consume(key, FREE, 1);
  }

  it('answers a key the primary just denied locally, without a round trip, until a token is back', async () => {
    const { store, primary, clock } = setup();
    const denied = await exhaust(store);
    expect(denied).toMatchObject({ allowed: false, source: 'primary', retryAfterMs: 200 });
    const calls = primary.calls.consume;
    const cached = await store.consume('{t}:b', FREE, 1);
    expect(cached).toEqual({ allowed: false, limit: 10, remaining: 0, retryAfterMs: 199, resetAfterMs: 2000, source: 'blocked-cache' });
    expect(primary.calls.consume).toBe(calls);
    clock.advance(150);
    expect(await store.consume('{t}:b', FREE, 1)).toMatchObject({ allowed: false, source: 'blocked-cache', retryAfterMs: 49, resetAfterMs: 1850 });
    clock.advance(49);
    // The cache lets go a little early (never late): the primary decides again.
    expect(await store.consume('{t}:b', FREE, 1)).toMatchObject({ allowed: false, source: 'primary', retryAfterMs: 1 });
    clock.advance(1);
    expect(await store.consume('{t}:b', FREE, 1)).toMatchObject({ allowed: true, source: 'primary' });
  });

  it('adds the extra wait of a larger cost to a cached answer', async () => {
    const { store } = setup();
    await exhaust(store);
    expect(await store.consume('{t}:b', FREE, 3)).toMatchObject({ source: 'blocked-cache', retryAfterMs: 599 });
    expect(await store.consume('{t}:b', FREE, 11)).toMatchObject({ source: 'blocked-cache', reason: 'cost_exceeds_burst' });
  });

  it('keeps keys apart', async () => {
    const { store } = setup();
    await exhaust(store, '{a}:b');
    expect(await store.consume('{b}:b', FREE, 1)).toMatchObject({ allowed: true, source: 'primary' });
  });

  it('does not cache a denial that leaves tokens, one for a cost above the burst, or a very short wait', async () => {
    const leftover = setup();
    for (let i = 0; i < 8; i++) await leftover.store.consume('{t}:b', FREE, 1);
    expect(await leftover.store.consume('{t}:b', FREE, 3)).toMatchObject({ allowed: false, remaining: 2, source: 'primary' });
    expect((await leftover.store.consume('{t}:b', FREE, 3)).source).toBe('primary');

    const tooBig = setup();
    expect((await tooBig.store.consume('{t}:b', FREE, 11)).reason).toBe('cost_exceeds_burst');
    expect(await tooBig.store.consume('{t}:b', FREE, 1)).toMatchObject({ allowed: true, source: 'primary' });

    const fast = setup();
    const policy = { rate: 1000, burst: 1 };
    await fast.store.consume('{t}:b', policy, 1);
    expect(await fast.store.consume('{t}:b', policy, 1)).toMatchObject({ allowed: false, retryAfterMs: 1, source: 'primary' });
    expect((await fast.store.consume('{t}:b', policy, 1)).source).toBe('primary');
  });

  it('is off with blockedCache: false', async () => {
    const { store } = setup({ blockedCache: false });
    await exhaust(store);
    expect((await store.consume('{t}:b', FREE, 1)).source).toBe('primary');
  });

  it('is dropped by reset and by clearLocal', async () => {
    const { store } = setup();
    await exhaust(store);
    await store.reset('{t}:b');
    expect(await store.consume('{t}:b', FREE, 1)).toMatchObject({ allowed: true, source: 'primary' });

    const other = setup();
    await exhaust(other.store);
    await other.store.clearLocal('{t}:b');
    expect(await other.store.consume('{t}:b', FREE, 1)).toMatchObject({ allowed: false, source: 'primary' });
  });

  it('still validates arguments for a cached key', async () => {
    const { store } = setup();
    await exhaust(store);
    expect(await rejected(store.consume('{t}:b', FREE, 0))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejected(store.consume('{t}:b', { rate: Number.NaN, burst: 10 }, 1))).toBeInstanceOf(InvalidArgumentError);
  });

  it('never changes a decision: same answers as the primary alone, and never a later retry time', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ rate: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0.1, max: 2000, noNaN: true })), burst: fc.integer({ min: 1, max: 8 }) }),
        fc.array(fc.record({ wait: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 400 })), cost: fc.integer({ min: 1, max: 10 }) }), {
          minLength: 1,
          maxLength: 60,
        }),
        async (policy, steps) => {
          const { store, clock } = setup();
          const reference = new MemoryStore({ clock, sweepIntervalMs: 0 });
          for (const step of steps) {
            clock.advance(step.wait);
            const got = await store.consume('{t}:b', policy, step.cost);
            const want = await reference.consume('{t}:b', policy, step.cost);
            expect(got.allowed).toBe(want.allowed);
            expect(got.reason).toBe(want.reason);
            if (got.source === 'blocked-cache') {
              expect(got.retryAfterMs).toBeLessThanOrEqual(want.retryAfterMs);
              expect(got.retryAfterMs).toBeGreaterThanOrEqual(want.retryAfterMs - 2);
            } else {
              expect(got).toEqual({ ...want, source: 'primary' });
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('ResilientStore during a cold start', () => {
  it('answers from the fallback without calling the primary or counting failures', async () => {
    const { store, primary, failures } = setup();
    primary.starting = true;
    expect(await store.consume('{t}:b', FREE, 1)).toMatchObject({ allowed: true, source: 'fallback' });
    const lease = await store.acquire('{t}:c', 5, 60_000);
    expect(lease.leaseId).toMatch(/^fb:/);
    expect(primary.calls.consume).toBeUndefined();
    expect(primary.calls.acquire).toBeUndefined();
    expect(store.breaker.totalFailures).toBe(0);
    expect(failures).toHaveLength(0);
    primary.starting = false;
    expect((await store.consume('{t}:b', FREE, 1)).source).toBe('primary');
  });

  it('waits for a first connection made within the store timeout and decides on the primary', async () => {
    const { store, primary, failures } = setup({ timeoutMs: 1000 });
    const connect = primary.coldStart();
    setTimeout(connect, 20);
    const pending = [store.consume('{t}:b', FREE, 1), store.consume('{t}:b', FREE, 1)];
    const answers = await Promise.all(pending);
    expect(answers.map((r) => r.source)).toEqual(['primary', 'primary']);
    expect(primary.calls.consume).toBe(2);
    expect(failures).toHaveLength(0);
  });

  it('falls back, uncounted, when the first connection takes longer than the store timeout', async () => {
    const { store, primary, failures, settlesAfter } = manualSetup({ timeoutMs: 30 });
    primary.coldStart();
    const value = await settlesAfter(() => store.consume('{t}:b', FREE, 1), 30);
    expect(value.source).toBe('fallback');
    expect(primary.calls.consume).toBeUndefined();
    expect(store.breaker.totalFailures).toBe(0);
    expect(failures).toHaveLength(0);
  });

  it('respects failMode while starting', async () => {
    const { store, primary } = setup({ failMode: 'closed' });
    primary.starting = true;
    expect(await rejected(store.consume('{t}:b', FREE, 1))).toBeInstanceOf(StoreUnavailableError);
  });
});

describe('ResilientStore.consumeSync (the synchronous degraded path)', () => {
  it('answers nothing while the breaker is closed: the caller must ask the primary', async () => {
    const { store, primary } = setup();
    expect(store.consumeSync('{t}:b', FREE, 1)).toBeUndefined();
    expect(primary.calls).toEqual({});
  });

  it('answers a cached denial without the primary', async () => {
    const { store, primary } = setup();
    for (let i = 0; i < 11; i++) await store.consume('{t}:b', FREE, 1);
    expect(store.consumeSync('{t}:b', FREE, 1)).toMatchObject({ allowed: false, source: 'blocked-cache' });
    expect(primary.calls.consume).toBe(11);
  });

  it('answers from the fallback while the breaker is open, then leaves the probe to consume', async () => {
    const { store, primary, clock } = setup();
    primary.mode = 'fail';
    for (let i = 0; i < 3; i++) await store.consume('{t}:b', FREE, 1);
    expect(store.breaker.state).toBe('open');
    expect(store.breaker.rejectsCalls()).toBe(true);
    const local = store.consumeSync('{t}:b', FREE, 1);
    expect(local).toMatchObject({ allowed: true, source: 'fallback', remaining: 10 - 4 });
    expect(primary.calls.consume).toBe(3);
    clock.advance(1000); // reset timeout: a probe is due, and only consume() may make it
    expect(store.breaker.rejectsCalls()).toBe(false);
    expect(store.consumeSync('{t}:b', FREE, 1)).toBeUndefined();
    expect(store.breaker.state).toBe('half_open');
  });

  it('leaves a cold start to consume(), which waits for the first connection', () => {
    const { store, primary } = setup();
    primary.coldStart();
    expect(store.consumeSync('{t}:b', FREE, 1)).toBeUndefined();
    expect(store.breaker.totalFailures).toBe(0);
  });

  it('leaves fail-closed and a non-memory fallback to consume(), consuming nothing itself', async () => {
    const closed = setup({ failMode: 'closed' });
    closed.primary.mode = 'fail';
    for (let i = 0; i < 3; i++) await rejected(closed.store.consume('{t}:b', FREE, 1));
    expect(closed.store.consumeSync('{t}:b', FREE, 1)).toBeUndefined();

    const clock = new FakeClock();
    const primary = new ScriptedStore(clock);
    const fallback = new ScriptedStore(clock);
    const store = new ResilientStore({ primary, fallback, clock, breaker: { minimumCalls: 1, resetTimeoutMs: 1000 } });
    primary.mode = 'fail';
    await store.consume('{t}:b', FREE, 1);
    expect(store.consumeSync('{t}:b', FREE, 1)).toBeUndefined();
    expect(fallback.calls.consume).toBe(1);
  });
});

describe('ResilientStore: one primary call when a cached block expires', () => {
  it('lets one request ask the primary; the others in flight wait for it and are denied from the cache', async () => {
    const { store, primary, clock } = setup();
    for (let i = 0; i < 10; i++) await store.consume('{t}:b', FREE, 1);
    const denied = await store.consume('{t}:b', FREE, 1);
    expect(denied).toMatchObject({ allowed: false, source: 'primary' });
    clock.advance(denied.retryAfterMs - 1); // the cache expires (it errs early), the bucket has no token yet
    const calls = primary.calls.consume ?? 0;
    const answers = await Promise.all(Array.from({ length: 8 }, () => store.consume('{t}:b', FREE, 1)));
    expect(primary.calls.consume).toBe(calls + 1);
    expect(answers.map((a) => a.allowed)).toEqual(Array(8).fill(false));
    expect(answers.filter((a) => a.source === 'blocked-cache')).toHaveLength(7);
  });

  it('lets the waiting requests ask the primary themselves when the probe was admitted', async () => {
    const { store, primary, clock } = setup();
    for (let i = 0; i < 11; i++) await store.consume('{t}:b', FREE, 1);
    clock.advance(1000); // five tokens back
    const calls = primary.calls.consume ?? 0;
    const answers = await Promise.all(Array.from({ length: 4 }, () => store.consume('{t}:b', FREE, 1)));
    expect(answers.map((a) => a.allowed)).toEqual([true, true, true, true]);
    expect(primary.calls.consume).toBe(calls + 4);
  });
});
