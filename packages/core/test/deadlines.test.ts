/**
 * Issue 12.4: the resilient wrapper's per-call timeouts share one timer (a queue in call order)
 * instead of a setTimeout per call, and keep every property of the per-call timers: each call
 * times out `timeoutMs` after it was made, a reply already in the socket wins, and nothing is held
 * after a call settles.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, StoreTimeoutError } from '../src/index.js';
import { type BucketPolicy, ResilientStore } from '../src/store.js';
import { DeadlineQueue } from '../src/store/deadlines.js';
import { FakeClock, ManualTimers, ScriptedStore } from './support.js';

const FREE: BucketPolicy = { rate: 5, burst: 10 };
const MS = 20;

/** Lets the event loop turn twice (the timeout's rejection waits one setImmediate). */
const turns = async () => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** A promise with its settle functions, and a record of how it settled through the queue. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

function outcome(p: Promise<unknown>) {
  const seen: { value?: unknown; error?: unknown; settled: boolean } = { settled: false };
  p.then(
    (value) => Object.assign(seen, { value, settled: true }),
    (error: unknown) => Object.assign(seen, { error, settled: true }),
  );
  return seen;
}

function setup() {
  const clock = new FakeClock();
  const timers = new ManualTimers(clock);
  return { clock, timers, queue: new DeadlineQueue(MS, clock, timers) };
}

describe('DeadlineQueue', () => {
  it('arms one timer for any number of calls in flight', () => {
    const { timers, queue } = setup();
    for (let i = 0; i < 50; i++) queue.race(new Promise(() => {}));
    expect(queue.size).toBe(50);
    expect(timers.pending.size).toBe(1);
  });

  it('times each call out MS after it was made, not after the first', async () => {
    const { clock, timers, queue } = setup();
    const first = outcome(queue.race(new Promise(() => {})));
    clock.advance(5);
    const second = outcome(queue.race(new Promise(() => {})));
    clock.advance(MS - 6);
    timers.run();
    await turns();
    expect([first.settled, second.settled]).toEqual([false, false]);
    clock.advance(1);
    timers.run();
    await turns();
    expect(first.error).toBeInstanceOf(StoreTimeoutError);
    expect(second.settled).toBe(false);
    clock.advance(4);
    timers.run();
    await turns();
    expect(second.settled).toBe(false);
    clock.advance(1);
    timers.run();
    await turns();
    expect(second.error).toMatchObject({ timeoutMs: MS });
    expect(queue.size).toBe(0);
  });

  it('drops a call from the queue as soon as it settles, and passes its value or error through', async () => {
    const { queue } = setup();
    const ok = deferred<number>();
    const value = queue.race(ok.promise);
    const failing = queue.race(Promise.reject(new Error('boom')));
    expect(queue.size).toBe(2);
    ok.resolve(7);
    await expect(value).resolves.toBe(7);
    await expect(failing).rejects.toThrow('boom');
    expect(queue.size).toBe(0);
  });

  it('lets a reply that arrives after the timer fired, before the deferred rejection, win', async () => {
    const { clock, timers, queue } = setup();
    const reply = deferred<string>();
    const seen = outcome(queue.race(reply.promise));
    clock.advance(MS);
    timers.run();
    // The timer has fired; the reply was already in the socket and is read in this loop turn.
    reply.resolve('answer');
    await turns();
    expect(seen).toEqual({ value: 'answer', settled: true });
  });

  it('re-arms for the next call still in flight and stops once the queue is empty', async () => {
    const { clock, timers, queue } = setup();
    const early = deferred<number>();
    queue.race(early.promise);
    clock.advance(10);
    const late = outcome(queue.race(new Promise(() => {})));
    early.resolve(1);
    await turns();
    clock.advance(MS - 10);
    timers.run();
    expect(timers.pending.size).toBe(1);
    clock.advance(10);
    timers.run();
    await turns();
    expect(late.error).toBeInstanceOf(StoreTimeoutError);
    expect(timers.pending.size).toBe(0);
  });

  it('never holds a call past its own timer when the clock does not follow the timers (a frozen test clock)', async () => {
    let armed = 0;
    const queue = new DeadlineQueue(MS, new FakeClock(), {
      setTimeout: (fn, ms) => {
        armed++;
        return setTimeout(fn, ms);
      },
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      setInterval: (fn, ms) => setInterval(fn, ms),
      clearInterval: (h) => clearInterval(h as NodeJS.Timeout),
    });
    const calls = Array.from({ length: 5 }, () => queue.race(new Promise(() => {})).catch((e: unknown) => e));
    const errors = await Promise.all(calls);
    expect(errors.every((e) => e instanceof StoreTimeoutError)).toBe(true);
    // All five went on the first timer: not one timer each in turn, MS after one another.
    expect(armed).toBe(1);
  });
});

describe('ResilientStore timeouts', () => {
  it('share one timer across concurrent primary calls, each still bounded by timeoutMs', async () => {
    const clock = new FakeClock();
    const timers = new ManualTimers(clock);
    const primary = new ScriptedStore(clock);
    primary.mode = 'hang';
    const store = new ResilientStore({
      primary,
      fallback: new MemoryStore({ clock, sweepIntervalMs: 0 }),
      timeoutMs: MS,
      breaker: { minimumCalls: 1000 },
      clock,
      timers,
    });
    const calls = Array.from({ length: 20 }, (_, i) => outcome(store.consume(`{t${i}}:b`, FREE, 1)));
    await turns();
    expect(primary.calls.consume).toBe(20);
    expect(timers.pending.size).toBe(1);
    clock.advance(MS);
    timers.run();
    await turns();
    expect(calls.every((c) => c.settled && (c.value as { source: string }).source === 'fallback')).toBe(true);
  });
});
