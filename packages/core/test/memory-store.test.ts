import { describe, expect, it } from 'vitest';
import { ClosedError, InvalidArgumentError, MemoryStore, RateLimitConfigError } from '../src/index.js';
import type { BucketPolicy } from '../src/store.js';
import { FakeClock, issueKeys, ManualTimers, rejected, thrown } from './support.js';

const FREE: BucketPolicy = { rate: 5, burst: 10 };

function setup(options: { maxKeys?: number; sweepIntervalMs?: number } = {}) {
  const clock = new FakeClock();
  const timers = new ManualTimers(clock);
  const store = new MemoryStore({ clock, timers, sweepIntervalMs: 0, ...options });
  return { clock, timers, store };
}

describe('MemoryStore buckets', () => {
  it('is named memory', () => {
    expect(setup().store.name).toBe('memory');
  });

  it('keeps one bucket per key', async () => {
    const { store } = setup();
    for (let i = 0; i < 10; i++) await store.consume('a', FREE, 1);
    expect((await store.consume('a', FREE, 1)).allowed).toBe(false);
    expect((await store.consume('b', FREE, 1)).allowed).toBe(true);
    expect(store.size).toBe(2);
  });

  it('refills with the clock', async () => {
    const { store, clock } = setup();
    for (let i = 0; i < 10; i++) await store.consume('a', FREE, 1);
    const denied = await store.consume('a', FREE, 1);
    clock.advance(denied.retryAfterMs - 1);
    expect((await store.consume('a', FREE, 1)).allowed).toBe(false);
    clock.advance(1);
    expect((await store.consume('a', FREE, 1)).allowed).toBe(true);
  });

  it('rejects invalid arguments with InvalidArgumentError and keeps no state', async () => {
    const { store } = setup();
    expect(await rejected(store.consume('a', FREE, 0))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejected(store.consume('a', { rate: 0, burst: 1 }, 1))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejected(store.inspect('a', { rate: 5, burst: 0 }))).toBeInstanceOf(InvalidArgumentError);
    expect(store.size).toBe(0);
  });

  it('does not store a denial of a fresh key', async () => {
    const { store } = setup();
    const r = await store.consume('a', FREE, 11);
    expect(r.reason).toBe('cost_exceeds_burst');
    expect(store.size).toBe(0);
  });

  it('inspect reads without consuming', async () => {
    const { store } = setup();
    await store.consume('a', FREE, 3);
    expect(await store.inspect('a', FREE)).toEqual({ limit: 10, remaining: 7, resetAfterMs: 600 });
    expect(await store.inspect('a', FREE)).toEqual({ limit: 10, remaining: 7, resetAfterMs: 600 });
    expect(await store.inspect('never', FREE)).toEqual({ limit: 10, remaining: 10, resetAfterMs: 0 });
  });

  it('forgets a bucket on reset', async () => {
    const { store } = setup();
    await store.consume('a', FREE, 10);
    await store.reset('a');
    expect((await store.inspect('a', FREE)).remaining).toBe(10);
  });
});

describe('MemoryStore bounds', () => {
  it('evicts the least recently used bucket at maxKeys', async () => {
    const { store } = setup({ maxKeys: 3 });
    for (const k of ['a', 'b', 'c']) await store.consume(k, FREE, 10);
    await store.consume('a', FREE, 1); // touch a: b is now the oldest
    await store.consume('d', FREE, 10);
    expect(store.size).toBe(3);
    expect(store.evictions).toBe(1);
    expect((await store.inspect('b', FREE)).remaining).toBe(10);
    expect((await store.inspect('a', FREE)).remaining).toBe(0);
    expect((await store.inspect('c', FREE)).remaining).toBe(0);
  });

  it('does not count dropping an expired bucket as an eviction', async () => {
    const { store, clock } = setup({ maxKeys: 2 });
    await store.consume('short', FREE, 1); // full again after 200 ms
    await store.consume('long', FREE, 10); // full again after 2 s
    clock.advance(500);
    await store.consume('new', FREE, 1);
    expect(store.evictions).toBe(0);
    expect((await store.inspect('long', FREE)).remaining).toBe(2);
  });

  it('stays bounded under a flood of random keys', async () => {
    const { store } = setup({ maxKeys: 50 });
    for (let i = 0; i < 500; i++) await store.consume(`k${i}`, FREE, 1);
    expect(store.size).toBe(50);
  });

  it('bounds lease sets as well', async () => {
    const { store } = setup({ maxKeys: 2 });
    await store.acquire('a', 5, 60_000);
    await store.acquire('b', 5, 60_000);
    await store.acquire('c', 5, 60_000);
    expect(await store.countLeases('a')).toBe(0);
    expect(await store.countLeases('c')).toBe(1);
  });

  it('sweeps expired buckets and leases on its interval', async () => {
    const { store, clock, timers } = setup({ sweepIntervalMs: 1000 });
    await store.consume('a', FREE, 10);
    await store.acquire('c', 5, 500);
    clock.advance(1000);
    timers.run();
    expect(store.size).toBe(1); // the bucket is full only at 2 s
    clock.advance(1000);
    timers.run();
    expect(store.size).toBe(0);
    expect(await store.countLeases('c')).toBe(0);
  });

  it('rejects bad options all at once', () => {
    const error = thrown(() => new MemoryStore({ maxKeys: 0, sweepIntervalMs: -1 }));
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect(issueKeys(error)).toEqual(['maxKeys', 'sweepIntervalMs']);
  });
});

describe('MemoryStore leases', () => {
  it('hands out up to limit leases and counts them', async () => {
    const { store } = setup();
    const a = await store.acquire('c', 2, 60_000);
    const b = await store.acquire('c', 2, 60_000);
    const c = await store.acquire('c', 2, 60_000);
    expect(a).toMatchObject({ allowed: true, active: 1, limit: 2 });
    expect(b).toMatchObject({ allowed: true, active: 2, limit: 2 });
    expect(c).toEqual({ allowed: false, active: 2, limit: 2 });
    expect(a.leaseId).not.toBe(b.leaseId);
    expect(await store.countLeases('c')).toBe(2);
  });

  it('release frees a slot and is idempotent', async () => {
    const { store } = setup();
    const a = await store.acquire('c', 1, 60_000);
    await store.release('c', a.leaseId as string);
    await store.release('c', a.leaseId as string);
    await store.release('unknown', 'nope');
    expect(await store.countLeases('c')).toBe(0);
    const b = await store.acquire('c', 1, 60_000);
    expect(b.allowed).toBe(true);
    // Releasing the old id again must not free the new lease.
    await store.release('c', a.leaseId as string);
    expect(await store.countLeases('c')).toBe(1);
  });

  it('lets a lease that is never released expire after leaseMs', async () => {
    const { store, clock } = setup();
    await store.acquire('c', 1, 1000);
    clock.advance(999);
    expect((await store.acquire('c', 1, 1000)).allowed).toBe(false);
    clock.advance(1);
    expect((await store.acquire('c', 1, 1000)).allowed).toBe(true);
  });

  it('reset forgets leases', async () => {
    const { store } = setup();
    await store.acquire('c', 1, 60_000);
    await store.reset('c');
    expect(await store.countLeases('c')).toBe(0);
  });

  it.each([
    [0, 1000],
    [1.5, 1000],
    [1, 0],
    [1, Number.NaN],
  ])('rejects limit %s / leaseMs %s', async (limit, leaseMs) => {
    const { store } = setup();
    expect(await rejected(store.acquire('c', limit, leaseMs))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('MemoryStore close', () => {
  it('refuses use after close, with ClosedError', async () => {
    const { store } = setup();
    await store.close();
    await store.close();
    for (const op of [() => store.consume('a', FREE, 1), () => store.inspect('a', FREE), () => store.acquire('c', 1, 1), () => store.ping()]) {
      const error = await rejected(op());
      expect(error).toBeInstanceOf(ClosedError);
      expect((error as ClosedError).code).toBe('ERR_AURUM_CLOSED');
    }
  });

  it('stops its sweep timer', async () => {
    const { store, timers } = setup({ sweepIntervalMs: 1000 });
    expect(timers.pending.size).toBe(1);
    await store.close();
    expect(timers.pending.size).toBe(0);
  });

  it('ping resolves while open', async () => {
    await expect(setup().store.ping()).resolves.toBeUndefined();
  });
});
