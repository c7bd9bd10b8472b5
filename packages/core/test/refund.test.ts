/**
 * Giving tokens back (issue 14): `manager.refund(tenant, cost)` is the exact inverse of an allowed
 * decision on the memory store and through the resilient wrapper (primary or fallback), never
 * fills a bucket past its burst, and picks the bucket a request to the path took from.
 */
import { describe, expect, it } from 'vitest';
import { gcraRefund, gcraStep, lastStep } from '../src/algorithms/gcra.js';
import { createRateLimitManager, InvalidArgumentError, MemoryStore } from '../src/index.js';
import { ResilientStore } from '../src/store.js';
import { FakeClock, recordingLogger, rejected, ScriptedStore } from './support.js';

const policy = { rate: 10, burst: 5 };

async function remaining(m: ReturnType<typeof createRateLimitManager>, tenant: string): Promise<number> {
  return (await m.getTenantStatus(tenant)).remaining;
}

describe('gcraRefund', () => {
  it('undoes an allowed step exactly, and never goes past a full bucket', () => {
    const now = 1_000_000_000;
    gcraStep(undefined, now, policy, 3);
    const after = lastStep.tatUs;
    expect(gcraRefund(after, now, policy, 2)).toBe(after - 2 * 100_000);
    expect(gcraRefund(after, now, policy, 3)).toBeUndefined(); // full again
    expect(gcraRefund(after, now, policy, 50)).toBeUndefined();
    expect(gcraRefund(undefined, now, policy, 1)).toBeUndefined();
    expect(() => gcraRefund(after, now, policy, 0)).toThrow(InvalidArgumentError);
  });
});

describe('manager.refund on the memory store', () => {
  it('gives back exactly the tokens of a decision', async () => {
    const clock = new FakeClock();
    const m = createRateLimitManager({ env: false, clock, load: { enabled: false }, tiers: { free: { burstSize: 10 } } });
    for (let i = 0; i < 4; i++) await m.checkRateLimit('acme');
    expect(await remaining(m, 'acme')).toBe(6);
    await m.refund('acme', 3);
    expect(await remaining(m, 'acme')).toBe(9);
    await m.refund('acme', 5);
    expect(await remaining(m, 'acme')).toBe(10); // never past the burst
    await m.close();
  });

  it('lets a refunded tenant back in after a denial', async () => {
    const m = createRateLimitManager({ env: false, clock: new FakeClock(), load: { enabled: false }, tiers: { free: { burstSize: 2 } } });
    await m.checkRateLimit('acme');
    await m.checkRateLimit('acme');
    expect((await m.checkRateLimit('acme')).allowed).toBe(false);
    await m.refund('acme');
    expect((await m.checkRateLimit('acme')).allowed).toBe(true);
    await m.close();
  });

  it('refunds the bucket a request to the path took from (route rule buckets and their quota)', async () => {
    const m = createRateLimitManager({
      env: false,
      clock: new FakeClock(),
      load: { enabled: false },
      routes: [{ path: '/export', bucket: 'export', quota: { requestsPerSecond: 1, burstSize: 4 } }],
    });
    const exportLeft = async () => {
      const d = await m.checkRateLimit('acme', '/export');
      await m.refund('acme', 1, { path: '/export' }); // the probe itself does not count
      return d.metadata.remaining + 1;
    };
    await m.checkRateLimit('acme', '/export');
    await m.checkRateLimit('acme', '/export');
    await m.checkRateLimit('acme');
    expect(await exportLeft()).toBe(2);
    await m.refund('acme', 1, { path: '/export' });
    expect(await exportLeft()).toBe(3);
    expect(await remaining(m, 'acme')).toBe(9); // the default bucket untouched
    await m.refund('acme', 1, { bucket: 'export' });
    expect(await exportLeft()).toBe(4);
    await m.close();
  });

  it('refuses a bad cost or bucket, and a bad tenant', async () => {
    const m = createRateLimitManager({ env: false, load: { enabled: false } });
    expect(await rejected(m.refund('acme', 1.5))).toBeInstanceOf(InvalidArgumentError);
    expect(await rejected(m.refund('acme', 1, { bucket: 'has space' }))).toBeInstanceOf(InvalidArgumentError);
    expect((await rejected(m.refund('~internal'))) as Error).toHaveProperty('name', 'InvalidTenantError');
    await m.close();
  });
});

describe('refund through the resilient wrapper', () => {
  it('goes to the primary while it answers, and drops a cached denial of the key', async () => {
    const clock = new FakeClock();
    const primary = new ScriptedStore(clock);
    const store = new ResilientStore({ primary, clock });
    const tight = { rate: 0.1, burst: 2 };
    await store.consume('{t}:b', tight, 1);
    await store.consume('{t}:b', tight, 1);
    expect((await store.consume('{t}:b', tight, 1)).allowed).toBe(false);
    expect(store.consumeSync('{t}:b', tight, 1)?.source).toBe('blocked-cache');
    await store.refund('{t}:b', tight, 1);
    expect(primary.calls.refund).toBe(1);
    expect(store.consumeSync('{t}:b', tight, 1)).toBeUndefined();
    expect(await store.consume('{t}:b', tight, 1)).toMatchObject({ allowed: true, source: 'primary' });
  });

  it('goes to the fallback, with its share, while the breaker is open', async () => {
    const clock = new FakeClock();
    const primary = new ScriptedStore(clock);
    const fallback = new MemoryStore({ clock, sweepIntervalMs: 0 });
    const store = new ResilientStore({ primary, fallback, clock, fallbackShare: 2 });
    primary.mode = 'fail';
    for (let i = 0; i < 6; i++) await store.consume('{t}:b', { rate: 1, burst: 8 }, 1);
    expect(store.breaker.state).toBe('open');
    const before = (await store.inspect('{t}:b', { rate: 1, burst: 8 })).remaining;
    expect(store.refundSync('{t}:b', { rate: 1, burst: 8 }, 1)).toBe(true);
    expect((await store.inspect('{t}:b', { rate: 1, burst: 8 })).remaining).toBe(before + 1);
    expect(primary.calls.refund).toBeUndefined();
  });

  it('says once that a primary without refund cannot give tokens back', async () => {
    const clock = new FakeClock();
    const primary = new ScriptedStore(clock);
    (primary as { refund?: unknown }).refund = undefined;
    const log = recordingLogger();
    const store = new ResilientStore({ primary, clock, logger: log.logger });
    await store.refund('{t}:b', policy, 1);
    await store.refund('{t}:b', policy, 1);
    expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['the scripted store cannot refund tokens; refunds are ignored']);
  });
});
