/**
 * Every key the Redis store writes expires by itself: after a manager has exercised every kind
 * of write (decisions, route buckets, anonymous clients, leases, overrides, resets, the fleet
 * index), a SCAN of the whole server finds no key without a TTL.
 */
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Instance, startInstance } from './instances.js';

const PREFIX = 'ttl:';
const LEASE_MS = 30_000;
const FLEET_TTL_MS = 3_600_000;
/** One token per 100 s, so no bucket key can expire between the writes and the scan on a slow machine. */
const RATE = 0.01;
const TOKEN_MS = 100_000;

let server: RedisServer;
let admin: Redis;
const instances: Instance[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  admin = (await connect(server.url)) as Redis;
});
afterAll(async () => {
  await Promise.all(instances.map((i) => i.close()));
  admin?.disconnect();
  await server?.stop();
});

async function scanAll(): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'COUNT', 100);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys.sort();
}

describe('key expiry', () => {
  it('every key written through a manager (consume, acquire, overrides, resets, index) has a TTL', async () => {
    const options = {
      keyPrefix: PREFIX,
      fleet: { pollIntervalMs: 50, flushIntervalMs: 20, ttlMs: FLEET_TTL_MS },
      manager: {
        concurrencyLeaseMs: LEASE_MS,
        tiers: { free: { requestsPerSecond: RATE } },
        routes: [{ path: '/export/*', bucket: 'export', quota: { requestsPerSecond: RATE, burstSize: 2 } }],
      },
    };
    const a = await startInstance(server.url, options);
    const b = await startInstance(server.url, options);
    instances.push(a, b);
    const m = a.manager;

    // Decisions: plain, cost > 1, until denied, on a route bucket, a custom bucket, an anonymous client.
    await m.checkRateLimit('t-plain', '/orders');
    await m.checkRateLimit('t-cost', '/orders', { cost: 4 });
    for (let i = 0; i < 12; i++) await m.checkRateLimit('t-denied', '/orders');
    await m.checkRateLimit('t-route', '/export/all');
    await m.checkRateLimit('t-custom', '/orders', { bucket: 'search' });
    await m.checkRateLimit(m.anonymous('ip:203.0.113.7'), '/orders');
    await b.manager.checkRateLimit('t-plain', '/orders');

    // Leases: one kept, one taken and released, one tenant fully released.
    const kept = await m.acquireConcurrency('t-lease');
    const returned = await m.acquireConcurrency('t-lease');
    await returned.release();
    await (await m.acquireConcurrency('t-released')).release();
    expect(kept.allowed).toBe(true);

    // Overrides (one kept, one removed), a reset of a tenant with state, status reads, the index.
    await m.setTenantOverride('t-plain', { burstSize: 20 });
    await m.setTenantOverride('t-gone', { burstSize: 1 });
    await m.removeTenantOverride('t-gone');
    await m.checkRateLimit('t-reset', '/orders');
    await m.resetTenant('t-reset');
    await m.getTenantStatus('t-plain');
    await m.getAllTenantStatus(); // writes A's pending index batch
    const listed = await b.manager.getAllTenantStatus();
    expect(listed.map((t) => t.tenantId)).toContain('t-denied');

    const keys = await scanAll();
    // The scan really covers every kind of key.
    expect(keys).toEqual(
      expect.arrayContaining([
        `${PREFIX}{t-plain}:b`,
        `${PREFIX}{t-cost}:b`,
        `${PREFIX}{t-denied}:b`,
        `${PREFIX}{t-route}:b:export`,
        `${PREFIX}{t-custom}:b:search`,
        `${PREFIX}{~anon:ip:203.0.113.7}:b`,
        `${PREFIX}{t-lease}:c:leases`,
        `${PREFIX}{meta}:overrides`,
        `${PREFIX}{meta}:events`,
        `${PREFIX}{meta}:tenants`,
      ]),
    );
    expect(keys.filter((k) => k.includes('{t-reset}') || k.includes('{t-released}'))).toEqual([]);

    const ttls = Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await admin.pttl(k)] as const)));
    const withoutTtl = Object.entries(ttls).filter(([, ttl]) => !(ttl > 0));
    expect(withoutTtl, 'keys without a TTL (PTTL -1) or already gone').toEqual([]);

    // And each TTL is the one that matters: the refill time, the lease, the fleet TTL.
    expect(ttls[`${PREFIX}{t-denied}:b`]).toBeLessThanOrEqual(10 * TOKEN_MS); // all 10 tokens taken
    expect(ttls[`${PREFIX}{t-denied}:b`]).toBeGreaterThan(9 * TOKEN_MS);
    expect(ttls[`${PREFIX}{t-route}:b:export`]).toBeLessThanOrEqual(TOKEN_MS); // 1 of 2 tokens
    expect(ttls[`${PREFIX}{t-lease}:c:leases`]).toBeLessThanOrEqual(LEASE_MS);
    for (const k of ['overrides', 'events', 'tenants']) expect(ttls[`${PREFIX}{meta}:${k}`]).toBeLessThanOrEqual(FLEET_TTL_MS);
    expect([...a.failures, ...b.failures, ...a.problems, ...b.problems]).toEqual([]);
  });
});
