/**
 * The whole manager on a real 3-master Redis Cluster: decisions for many tenants spread over
 * slots, leases, overrides, resets, status and the fleet index, with no CROSSSLOT (or any other)
 * error, and every key of a tenant in its tenant's slot.
 */
import { type RedisCluster, startRedisCluster } from '@aurum/ratelimit-testkit';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Instance, startInstance, within } from './instances.js';

const PREFIX = 'co:';
const TENANTS = Array.from({ length: 48 }, (_, i) => `cluster-tenant-${i}`);

let cluster: RedisCluster;
let admin: Cluster;
let a: Instance;
let b: Instance;

beforeAll(async () => {
  cluster = await startRedisCluster();
  admin = (await connect(cluster.startupNodes)) as Cluster;
  const options = {
    keyPrefix: PREFIX,
    fleet: { pollIntervalMs: 250, flushIntervalMs: 50 },
    // A slow refill (one token per 100 s) keeps every bucket key alive until the scan, however slow the machine.
    manager: {
      concurrencyLeaseMs: 30_000,
      tiers: { free: { requestsPerSecond: 0.01 } },
      routes: [{ path: '/export/*', bucket: 'export', quota: { requestsPerSecond: 0.01, burstSize: 2 } }],
    },
  };
  a = await startInstance(cluster.startupNodes, options);
  b = await startInstance(cluster.startupNodes, options);
}, 60_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  admin?.disconnect();
  await cluster?.stop();
}, 30_000);

async function keysOnMasters(): Promise<string[][]> {
  return Promise.all(
    admin.nodes('master').map(async (node) => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await node.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 200);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      return keys;
    }),
  );
}

const keyslot = async (key: string) => Number(await admin.cluster('KEYSLOT', key));

describe('RateLimitManager on a real 3-master Redis Cluster', () => {
  it('decides for many tenants across slots, with every key of a tenant in one slot', async () => {
    const leases = [];
    for (const tenant of TENANTS) {
      const decisions = await Promise.all([
        a.manager.checkRateLimit(tenant, '/orders'),
        a.manager.checkRateLimit(tenant, '/export/all'),
        a.manager.checkRateLimit(tenant, '/orders', { bucket: 'search', cost: 2 }),
      ]);
      for (const d of decisions) expect(d).toMatchObject({ allowed: true, metadata: { source: 'primary' } });
      const slot = await a.manager.acquireConcurrency(tenant);
      expect(slot.allowed).toBe(true);
      leases.push(slot);
    }
    // Release half; the rest keep their lease key alive.
    await Promise.all(leases.filter((_, i) => i % 2 === 0).map((s) => s.release()));
    await a.manager.getAllTenantStatus(); // writes the pending fleet index batch

    const perNode = await keysOnMasters();
    expect(perNode).toHaveLength(3);
    for (const keys of perNode) expect(keys.length, 'every master holds some tenant keys').toBeGreaterThan(0);

    const all = perNode.flat();
    const slots = new Set<number>();
    for (const [i, tenant] of TENANTS.entries()) {
      const own = all.filter((k) => k.startsWith(`${PREFIX}{${tenant}}:`));
      expect(own.sort()).toEqual(
        [
          `${PREFIX}{${tenant}}:b`,
          `${PREFIX}{${tenant}}:b:export`,
          `${PREFIX}{${tenant}}:b:search`,
          ...(i % 2 === 1 ? [`${PREFIX}{${tenant}}:c:leases`] : []),
        ].sort(),
      );
      const tenantSlots = new Set(await Promise.all(own.map(keyslot)));
      expect(tenantSlots.size, `${tenant}'s keys share one slot`).toBe(1);
      slots.add([...tenantSlots][0] as number);
      // …and each key lives on exactly one master, the same for the whole tenant.
      const holders = perNode.map((keys) => own.some((k) => keys.includes(k)));
      expect(holders.filter(Boolean)).toHaveLength(1);
    }
    expect(slots.size).toBeGreaterThan(TENANTS.length / 2);
    // The fleet keys share the {meta} slot.
    const meta = all.filter((k) => k.startsWith(`${PREFIX}{meta}:`));
    expect(meta.length).toBeGreaterThan(0);
    expect(new Set(await Promise.all(meta.map(keyslot))).size).toBe(1);
  });

  it('runs every admin operation (status, overrides, resets, index) without an error', async () => {
    const id = 'cluster-admin';
    // Status of a tenant seen elsewhere, with a live lease.
    const lease = await b.manager.acquireConcurrency(id);
    await b.manager.checkRateLimit(id, '/orders');
    const status = await a.manager.getTenantStatus(id);
    expect(status).toMatchObject({ tenantId: id, tier: 'free', limit: 10, remaining: 9, activeConcurrency: 1, overridden: false });
    await lease.release();
    expect((await a.manager.getTenantStatus(id)).activeConcurrency).toBe(0);

    // Override on A, seen on B within a second (events stream on the cluster).
    await a.manager.setTenantOverride(id, { burstSize: 3, requestsPerSecond: 0.1 });
    const overrideMs = await within(1_000, 'the override on B', () => b.manager.getTenantOverride(id) !== undefined);
    console.info(`[cluster] override visible on B after ${overrideMs} ms`);
    expect(await b.manager.getTenantStatus(id)).toMatchObject({ limit: 3, overridden: true });

    // B drains the bucket and caches the denial; a reset on A clears both.
    while ((await b.manager.checkRateLimit(id, '/orders')).allowed);
    expect((await b.manager.checkRateLimit(id, '/orders')).metadata.source).toBe('blocked-cache');
    await a.manager.resetTenant(id);
    await within(1_000, 'B to admit after the reset', async () => (await b.manager.checkRateLimit(id, '/orders')).allowed);
    expect(await b.manager.getTenantStatus(id)).toMatchObject({ limit: 3, remaining: 2 });

    // Removal applies on B too.
    expect(await a.manager.removeTenantOverride(id)).toBe(true);
    await within(1_000, 'the removal on B', () => b.manager.getTenantOverride(id) === undefined);
    expect((await b.manager.checkRateLimit(id, '/orders')).metadata.limit).toBe(10);

    // The fleet index (a sorted set in the {meta} slot) lists what A saw, on B.
    await a.manager.getAllTenantStatus();
    const listed = await b.manager.getAllTenantStatus();
    const ids = new Set(listed.map((t) => t.tenantId));
    for (const tenant of TENANTS) expect(ids.has(tenant), tenant).toBe(true);

    for (const i of [a, b]) {
      expect(i.failures).toEqual([]);
      expect(i.problems).toEqual([]);
    }
  });
});
