import { FakeClock } from '@aurum/ratelimit-testkit';
import { describe, expect, it } from 'vitest';
import { createMemoryStore, MemoryStore } from '../src/index.js';

const policy = { rate: 5, burst: 10 };

describe('MemoryStore specifics', () => {
  it('never holds more keys than maxKeys, evicting the least recently used', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ maxKeys: 100, clock, sweepIntervalMs: 0 });
    for (let i = 0; i < 10_000; i++) await store.consume(`{t${i}}:b`, policy, 1);
    expect(store.size).toBe(100);
    expect(store.evictions).toBe(9_900);
    // The most recent keys survive with their state.
    expect((await store.inspect('{t9999}:b', policy)).remaining).toBe(9);
    await store.close();
  });

  it('drops expired keys before live ones when full', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ maxKeys: 2, clock, sweepIntervalMs: 0 });
    await store.consume('{old}:b', policy, 1);
    clock.advance(10_000); // {old} is full again: its entry is dead weight
    await store.consume('{live}:b', policy, 5);
    await store.consume('{new}:b', policy, 1);
    expect(store.evictions).toBe(0);
    expect((await store.inspect('{live}:b', policy)).remaining).toBe(5);
    await store.close();
  });

  it('stores nothing for a bucket that is full again, and sweeps expired entries', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
    for (let i = 0; i < 50; i++) await store.consume(`{s${i}}:b`, policy, 1);
    expect(store.size).toBe(50);
    clock.advance(201);
    store.sweep();
    expect(store.size).toBe(0);
    await store.close();
  });

  it('bounds memory under a flood of one million random tenants', { timeout: 60_000 }, async () => {
    const store = createMemoryStore({ maxKeys: 10_000, sweepIntervalMs: 0 });
    for (let i = 0; i < 1_000_000; i++) await store.consume(`{rnd-${Math.random().toString(36).slice(2)}}:b`, policy, 1);
    expect(store.size).toBeLessThanOrEqual(10_000);
    await store.close();
  });

  it('rejects bad options with a config error naming them', () => {
    expect(() => new MemoryStore({ maxKeys: 0, sweepIntervalMs: -1 })).toThrow(/maxKeys[\s\S]*sweepIntervalMs/);
  });

  it('refuses calls after close', async () => {
    const store = new MemoryStore();
    await store.close();
    await expect(store.consume('{x}:b', policy, 1)).rejects.toMatchObject({ code: 'ERR_AURUM_CLOSED' });
  });
});
