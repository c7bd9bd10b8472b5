/**
 * Paging the fleet-wide tenant index on one real Redis: two instances fill it, either one pages
 * through all of it (listTenants, cursor from page to page), and RedisFleetSync.listSeenAfter
 * resumes after a cursor whose tenant has since moved or left the index.
 */
import type { TenantPage, TenantSummary } from '@aurum/ratelimit-core';
import type { Clock } from '@aurum/ratelimit-core/store';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { connect, type Instance, type InstanceOptions, startInstance } from './instances.js';

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
    expect(i.failures).toEqual([]);
    expect(i.problems).toEqual([]);
  }
  await Promise.all(all.map((i) => i.close()));
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

const freshPrefix = () => `pages${++seq}-${Date.now().toString(36)}:`;

/** A manager clock the test sets: last-seen times, and so ties, are the test's to choose. */
class SetClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

async function instance(keyPrefix: string, options: Omit<InstanceOptions, 'keyPrefix'> = {}): Promise<Instance> {
  const i = await startInstance(server.url, { keyPrefix, ...options });
  instances.push(i);
  return i;
}

async function walk(i: Instance, limit: number): Promise<TenantSummary[]> {
  const out: TenantSummary[] = [];
  let cursor: string | null = null;
  do {
    const page: TenantPage = await i.manager.listTenants({ limit, cursor });
    expect(page.tenants.length).toBeLessThanOrEqual(limit);
    out.push(...page.tenants);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return out;
}

/** Most recent first, ties by id descending: the order every listing promises. */
function listingOrder(entries: Map<string, number>): string[] {
  return [...entries].sort(([a, at], [b, bt]) => bt - at || (a < b ? 1 : a > b ? -1 : 0)).map(([id]) => id);
}

describe('paging the fleet tenant index', () => {
  it('B pages through what A and B saw, ties across pages included: every tenant once, in order, with its anonymous groups', async () => {
    const prefix = freshPrefix();
    const t0 = 1_767_225_600_000;
    const clockA = new SetClock(t0);
    const clockB = new SetClock(t0);
    const [a, b] = await Promise.all([instance(prefix, { manager: { clock: clockA } }), instance(prefix, { manager: { clock: clockB } })]);
    const expected = new Map<string, number>();
    const see = async (i: Instance, clock: SetClock, id: string, at: number) => {
      clock.ms = at;
      await i.manager.checkRateLimit(id);
      expected.set(id, Math.max(expected.get(id) ?? 0, at));
    };
    // Five tenants per millisecond, so pages of 7 split runs of ties; `shared-*` seen by both, B later.
    for (let i = 0; i < 40; i++) await see(a, clockA, `a-${i}`, t0 + Math.floor(i / 5));
    for (let i = 0; i < 25; i++) await see(b, clockB, `b-${i}`, t0 + Math.floor(i / 5));
    for (let i = 0; i < 6; i++) {
      await see(a, clockA, `shared-${i}`, t0 + 3);
      await see(b, clockB, `shared-${i}`, t0 + 4 + (i % 2));
    }
    clockB.ms = t0 + 2;
    for (const ip of ['203.0.113.7', '198.51.100.1']) {
      await b.manager.checkRateLimit(b.manager.anonymous(`ip:${ip}`));
      expected.set(`{~anon:ip:${ip}}`, t0 + 2);
    }
    await a.manager.listTenants(); // writes A's pending index batch

    const listed = await walk(b, 7);
    expect(listed.map((t) => t.tenantId)).toEqual(listingOrder(expected));
    expect(listed).toHaveLength(40 + 25 + 6 + 2);
    const byId = new Map(listed.map((t) => [t.tenantId, t]));
    expect(byId.get('a-3')).toMatchObject({ lastSeen: t0, allowed: 0, anonymous: false, tier: 'free' }); // only A saw it
    expect(byId.get('b-3')).toMatchObject({ lastSeen: t0, allowed: 1 });
    expect(byId.get('shared-1')).toMatchObject({ lastSeen: t0 + 5, allowed: 1 });
    expect(byId.get('{~anon:ip:203.0.113.7}')).toMatchObject({ anonymous: true, allowed: 1 });
    // A lists the same tenants (its own counts, and no anonymous groups: those are B's).
    expect((await walk(a, 1000)).map((t) => t.tenantId)).toEqual(listingOrder(expected).filter((id) => !id.startsWith('{')));
  });

  it('a listing is bounded by the fleet index (maxTenants), most recent kept', async () => {
    const prefix = freshPrefix();
    const clock = new SetClock(1_767_225_600_000);
    const a = await instance(prefix, { fleet: { pollIntervalMs: 250, maxTenants: 5 }, manager: { clock } });
    for (let i = 0; i < 8; i++) {
      clock.ms++;
      await a.manager.checkRateLimit(`bounded-${i}`);
    }
    await a.manager.listTenants(); // flushes, and the index drops the oldest
    const b = await instance(prefix);
    expect((await walk(b, 2)).map((t) => t.tenantId)).toEqual(['bounded-7', 'bounded-6', 'bounded-5', 'bounded-4', 'bounded-3']);
  });

  it('listSeenAfter resumes after a cursor whose tenant is still there, was seen again, or left the index', async () => {
    const prefix = freshPrefix();
    const key = `${prefix}{meta}:tenants`;
    // Ten tenants tied at 100 (t-a … t-j), three at 90.
    const ties = 'abcdefghij'.split('').map((c) => `t-${c}`);
    await admin.zadd(key, ...ties.flatMap((id) => [100, id]), 90, 'u-1', 90, 'u-2', 90, 'u-3');
    const store = new RedisStore({ client: admin, keyPrefix: prefix });
    const fleet = store.fleet as NonNullable<typeof store.fleet>;
    const cursor = { tenantId: 't-e', lastSeen: 100 };
    const expected = [
      { tenantId: 't-d', lastSeen: 100 },
      { tenantId: 't-c', lastSeen: 100 },
      { tenantId: 't-b', lastSeen: 100 },
      { tenantId: 't-a', lastSeen: 100 },
      { tenantId: 'u-3', lastSeen: 90 },
      { tenantId: 'u-2', lastSeen: 90 },
    ];
    expect(await fleet.listSeenAfter(cursor, 6)).toEqual(expected);
    expect(await fleet.listSeenAfter(cursor, 2)).toEqual(expected.slice(0, 2));
    await admin.zadd(key, 200, 't-e'); // seen again: now at the front
    expect(await fleet.listSeenAfter(cursor, 6)).toEqual(expected);
    await admin.zrem(key, 't-e'); // dropped from the index
    expect(await fleet.listSeenAfter(cursor, 6)).toEqual(expected);
    expect(await fleet.listSeenAfter({ tenantId: 'u-1', lastSeen: 90 }, 6)).toEqual([]);
    expect(await fleet.listSeenAfter({ tenantId: 'zzz', lastSeen: 1_000 }, 3)).toEqual([
      { tenantId: 't-j', lastSeen: 100 },
      { tenantId: 't-i', lastSeen: 100 },
      { tenantId: 't-h', lastSeen: 100 },
    ]);
    await store.close();
  });
});
