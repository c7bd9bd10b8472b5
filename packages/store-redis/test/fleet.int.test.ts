/**
 * Fleet-wide state through one real Redis: overrides, resets and the tenant index made on one
 * instance apply on the others (each instance = a manager on its own RedisStore and connection).
 */
import { rateLimitHeaders } from '@aurum/ratelimit-core/adapter';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { connect, type Instance, type InstanceOptions, startInstance, within } from './instances.js';

const FREE_BURST = 10;

let server: RedisServer;
let admin: Redis;
let instances: Instance[] = [];
let seq = 0;

beforeAll(async () => {
  server = await startRedisServer();
  admin = (await connect(server.url)) as Redis;
});
afterEach(async () => {
  const all = instances;
  instances = [];
  for (const i of all) {
    // Nothing went to the fallback and no fleet poll or index write failed.
    expect(i.failures).toEqual([]);
    expect(i.problems).toEqual([]);
  }
  await Promise.all(all.map((i) => i.close()));
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

/** A fresh key space per test, so every test has its own override hash, event stream and index. */
const freshPrefix = () => `fleet${++seq}-${Date.now().toString(36)}:`;

async function instance(keyPrefix: string, options: Omit<InstanceOptions, 'keyPrefix'> = {}): Promise<Instance> {
  const i = await startInstance(server.url, { keyPrefix, ...options });
  instances.push(i);
  return i;
}

describe('fleet-wide overrides, resets and tenant index on one Redis', () => {
  it('an override set on A applies on B within 1 s, and its removal too', async () => {
    const prefix = freshPrefix();
    const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
    const id = 'acme-corp';
    const before = await b.manager.checkRateLimit(id);
    expect(before.metadata).toMatchObject({ limit: FREE_BURST, source: 'primary' });

    const setAt = Date.now();
    await a.manager.setTenantOverride(id, { burstSize: 3 });
    expect(a.manager.getTenantOverride(id)).toEqual({ burstSize: 3 });
    const appliedMs = await within(1_000, 'the override on B', () => b.manager.getTenantOverride(id)?.burstSize === 3);
    const propagationMs = Date.now() - setAt;
    const decision = await b.manager.checkRateLimit(id);
    expect(decision.metadata).toMatchObject({ limit: 3, source: 'primary' });
    expect(rateLimitHeaders(decision)['X-RateLimit-Limit']).toBe('3');
    expect((await b.manager.getTenantStatus(id)).overridden).toBe(true);
    console.info(`[fleet] override visible on B ${appliedMs} ms after set resolved (${propagationMs} ms after it was called)`);
    expect(propagationMs).toBeLessThan(1_000);

    const removeAt = Date.now();
    expect(await a.manager.removeTenantOverride(id)).toBe(true);
    await within(1_000, 'the removal on B', () => b.manager.getTenantOverride(id) === undefined);
    const removalMs = Date.now() - removeAt;
    const after = await b.manager.checkRateLimit(id);
    expect(after.metadata.limit).toBe(FREE_BURST);
    expect(rateLimitHeaders(after)['X-RateLimit-Limit']).toBe(String(FREE_BURST));
    console.info(`[fleet] override removal visible on B ${removalMs} ms after it was called`);
    expect(removalMs).toBeLessThan(1_000);
  });

  it('a reset on B also refills a bucket only A has used (each instance deletes the buckets it knows)', async () => {
    const prefix = freshPrefix();
    const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
    const id = 'bucket-owner';
    for (let i = 0; i < FREE_BURST; i++) await a.manager.checkRateLimit(id, '/', { bucket: 'exports' });
    expect((await a.manager.checkRateLimit(id, '/', { bucket: 'exports' })).allowed).toBe(false);
    await b.manager.resetTenant(id);
    await within(
      1_000,
      'the named bucket refilled on A',
      async () => (await a.store.inspect(`{${id}}:b:exports`, { rate: 5, burst: FREE_BURST })).remaining === FREE_BURST,
    );
    expect((await a.manager.checkRateLimit(id, '/', { bucket: 'exports' })).metadata).toMatchObject({
      allowed: true,
      remaining: FREE_BURST - 1,
      source: 'primary',
    });
  });

  it('a raised override applies at once on A and within 1 s on B, over denials both cached under the old quota', async () => {
    const prefix = freshPrefix();
    const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
    const solo = await instance(freshPrefix(), { fleet: false });
    const id = 'upgraded';
    // One token per 20 s: a denial is cached for ~20 s.
    for (const i of [a, solo]) await i.manager.setTenantOverride(id, { burstSize: 1, requestsPerSecond: 0.05 });
    await within(1_000, 'the override on B', () => b.manager.getTenantOverride(id) !== undefined);
    expect((await a.manager.checkRateLimit(id)).allowed).toBe(true);
    expect((await solo.manager.checkRateLimit(id)).allowed).toBe(true);
    for (const i of [a, b, solo]) {
      expect((await i.manager.checkRateLimit(id)).allowed).toBe(false);
      expect((await i.manager.checkRateLimit(id)).metadata.source).toBe('blocked-cache');
    }

    // Redis now has room (burst 10 at the same rate): the instance that made the change admits at once…
    for (const i of [a, solo]) {
      await i.manager.setTenantOverride(id, { burstSize: 10, requestsPerSecond: 0.05 });
      const d = await i.manager.checkRateLimit(id);
      expect(d).toMatchObject({ allowed: true, metadata: { source: 'primary', limit: 10 } });
    }
    // …and the other instance as soon as the change reaches it.
    await within(1_000, 'B to admit under the raised quota', async () => (await b.manager.checkRateLimit(id)).allowed);
  });

  it("resetTenant on A refills the bucket for B and clears B's cached denial", async () => {
    const prefix = freshPrefix();
    const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
    const id = 'slow-tenant';
    // One token per 10 s: a denial is cached for ~10 s, far longer than the test waits.
    await a.manager.setTenantOverride(id, { burstSize: 2, requestsPerSecond: 0.1 });
    await within(1_000, 'the override on B', () => b.manager.getTenantOverride(id) !== undefined);
    expect((await b.manager.checkRateLimit(id)).allowed).toBe(true);
    expect((await b.manager.checkRateLimit(id)).allowed).toBe(true);
    const denied = await b.manager.checkRateLimit(id);
    expect(denied).toMatchObject({ allowed: false, metadata: { source: 'primary', remaining: 0 } });
    expect(denied.retryAfter).toBeGreaterThan(5);
    const cached = await b.manager.checkRateLimit(id);
    expect(cached).toMatchObject({ allowed: false, metadata: { source: 'blocked-cache' } });

    const resetAt = Date.now();
    await a.manager.resetTenant(id);
    // A sees a full bucket in Redis at once.
    expect(await a.manager.getTenantStatus(id)).toMatchObject({ remaining: 2, resetAfterMs: 0 });
    let last = cached;
    await within(1_000, 'B to admit again', async () => {
      last = await b.manager.checkRateLimit(id);
      return last.allowed;
    });
    const resetMs = Date.now() - resetAt;
    // B asked Redis again (no stale cached denial) and found the bucket refilled.
    expect(last.metadata).toMatchObject({ source: 'primary', limit: 2, remaining: 1 });
    console.info(`[fleet] reset on A let B admit again after ${resetMs} ms`);
    expect(resetMs).toBeLessThan(1_000);
  });

  it('getAllTenantStatus on B lists a tenant only A has seen, from the fleet index (not a key scan)', async () => {
    const prefix = freshPrefix();
    const [a, b] = await Promise.all([instance(prefix), instance(prefix)]);
    await a.manager.checkRateLimit('seen-by-a', '/orders');
    // A bucket written straight to Redis without the manager: present as a key, absent from the index.
    const bare = new RedisStore({ client: admin, keyPrefix: prefix, fleet: false });
    await bare.consume('{ghost-tenant}:b', { rate: 0.01, burst: 10 }, 1); // lives 100 s
    expect(await admin.exists(`${prefix}{ghost-tenant}:b`)).toBe(1);

    let listed: Awaited<ReturnType<typeof b.manager.getAllTenantStatus>> = [];
    // A writes its index batch once a second (flushIntervalMs default).
    await within(3_000, 'B to list the tenant A saw', async () => {
      listed = await b.manager.getAllTenantStatus();
      return listed.some((t) => t.tenantId === 'seen-by-a');
    });
    expect(listed.find((t) => t.tenantId === 'seen-by-a')).toMatchObject({ tier: 'free', anonymous: false, allowed: 0, denied: 0 });
    expect(listed.map((t) => t.tenantId)).not.toContain('ghost-tenant');
  });

  it('the fleet index is bounded by maxTenants, and a listing by maxTrackedTenants', async () => {
    const prefix = freshPrefix();
    const a = await instance(prefix, { fleet: { pollIntervalMs: 250, flushIntervalMs: 20, maxTenants: 5 } });
    const b = await instance(prefix, { manager: { maxTrackedTenants: 3 } });
    const ids = Array.from({ length: 8 }, (_, i) => `bounded-${i}`);
    for (const id of ids) {
      await a.manager.checkRateLimit(id);
      await new Promise((r) => setTimeout(r, 3)); // distinct last-seen times
    }
    await within(2_000, 'the index to hold the newest tenant', async () => (await admin.zscore(`${prefix}{meta}:tenants`, 'bounded-7')) !== null);
    expect(await admin.zcard(`${prefix}{meta}:tenants`)).toBe(5);
    expect(await admin.zrange(`${prefix}{meta}:tenants`, '0', '-1')).toEqual(ids.slice(3));
    const listed = await b.manager.getAllTenantStatus();
    expect(listed.map((t) => t.tenantId)).toEqual(['bounded-7', 'bounded-6', 'bounded-5']);
  });

  it('an instance started later loads the stored overrides (await ready) and follows later changes', async () => {
    const prefix = freshPrefix();
    const a = await instance(prefix);
    await a.manager.setTenantOverride('kept', { burstSize: 3 });
    await a.manager.setTenantOverride('dropped', { burstSize: 4 });
    await a.manager.removeTenantOverride('dropped');

    const c = await instance(prefix);
    await c.manager.ready;
    expect(c.manager.getTenantOverride('kept')).toEqual({ burstSize: 3 });
    expect(c.manager.getTenantOverride('dropped')).toBeUndefined();
    expect(c.manager.getQuotas().overrides).toEqual({ kept: { burstSize: 3 } });
    expect((await c.manager.checkRateLimit('kept')).metadata).toMatchObject({ limit: 3, remaining: 2, source: 'primary' });
    expect((await c.manager.checkRateLimit('dropped')).metadata.limit).toBe(FREE_BURST);

    // Old events are not replayed over what C loaded, and new ones arrive.
    await a.manager.setTenantOverride('later', { tier: 'premium' });
    await within(1_000, 'the later override on C', () => c.manager.getTenantOverride('later') !== undefined);
    expect((await c.manager.checkRateLimit('later')).metadata).toMatchObject({ tier: 'premium', limit: 200 });
    expect(c.manager.getTenantOverride('dropped')).toBeUndefined();
  });
});
