/**
 * The SHA1 each LuaScript sends with EVALSHA is the one Redis computes for its source, so the
 * hot path never pays a NOSCRIPT round trip once a script is cached.
 */
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import type { Redis } from 'ioredis';
import { createHttpRateLimiter } from '@aurum/ratelimit-core/adapter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LuaScript, RedisStore, SCRIPTS } from '../src/index.js';
import * as consumeLua from '../src/lua/consume.js';
import * as consumeBatchLua from '../src/lua/consume-batch.js';
import * as fleetLua from '../src/lua/fleet.js';
import * as leasesLua from '../src/lua/leases.js';
import * as refundLua from '../src/lua/refund.js';
import * as takeLua from '../src/lua/take.js';
import { connect } from './instances.js';

let server: RedisServer;
let client: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  client = (await connect(server.url)) as Redis;
});
afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

/** Every `*_LUA` source exported from src/lua, by name. */
const SOURCES: Record<string, string> = Object.fromEntries(
  Object.entries({ ...consumeLua, ...consumeBatchLua, ...leasesLua, ...refundLua, ...takeLua, ...fleetLua }).filter(
    ([name, value]) => name.endsWith('_LUA') && typeof value === 'string',
  ),
) as Record<string, string>;

/** The scripts the store runs: SCRIPTS, plus the fleet's (module-private instances built from the exported sources). */
const ALL: Record<string, LuaScript> = {
  ...SCRIPTS,
  publish: new LuaScript(fleetLua.PUBLISH_LUA),
  recordSeen: new LuaScript(fleetLua.RECORD_SEEN_LUA),
  fleetLoad: new LuaScript(fleetLua.FLEET_LOAD_LUA),
  listSeenAfter: new LuaScript(fleetLua.LIST_SEEN_AFTER_LUA),
};

function commandStats(info: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const line of info.split(/\r?\n/)) {
    const m = /^cmdstat_([^:]+):(.*)$/.exec(line);
    if (m) out[m[1] as string] = Object.fromEntries((m[2] as string).split(',').map((kv) => [kv.split('=')[0], Number(kv.split('=')[1])]));
  }
  return out;
}

describe('Lua script SHAs', () => {
  it('covers every script source in src/lua', () => {
    expect(Object.keys(SOURCES).sort()).toEqual([
      'ACQUIRE_LUA',
      'CONSUME_ACQUIRE_LUA',
      'CONSUME_BATCH_LUA',
      'CONSUME_LUA',
      'COUNT_LEASES_LUA',
      'FLEET_LOAD_LUA',
      'INSPECT_LUA',
      'LIST_SEEN_AFTER_LUA',
      'PUBLISH_LUA',
      'RECORD_SEEN_LUA',
      'REFUND_LUA',
      'TAKE_UP_TO_LUA',
    ]);
    expect(
      Object.values(ALL)
        .map((s) => s.source)
        .sort(),
    ).toEqual(Object.values(SOURCES).sort());
  });

  it.each(Object.entries(ALL))('%s: the pinned SHA equals what SCRIPT LOAD returns', async (_name, script) => {
    expect(script.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await client.script('LOAD', script.source)).toBe(script.sha);
    expect(await client.script('EXISTS', script.sha)).toEqual([1]);
  });

  it('with the scripts loaded, every store and fleet operation runs on EVALSHA alone (no NOSCRIPT, no EVAL)', async () => {
    await client.script('FLUSH');
    for (const script of Object.values(ALL)) await client.script('LOAD', script.source);
    await client.config('RESETSTAT');

    const store = new RedisStore({ client, keyPrefix: 'sha:', fleet: { flushIntervalMs: 10 } });
    const policy = { rate: 5, burst: 10 };
    await store.consume('{t}:b', policy, 1);
    await store.inspect('{t}:b', policy);
    await store.refund('{t}:b', policy, 1);
    await store.takeUpTo('{t}:b', policy, 1, 3);
    const lease = await store.acquire('{t}:c', 2, 10_000);
    await store.countLeases('{t}:c');
    await store.release('{t}:c', lease.leaseId as string);
    await store.consumeAndAcquire({ key: '{t}:b', policy, cost: 1, leaseKey: '{t}:c', limit: 2, leaseMs: 10_000, leaseAlways: false });
    // Decisions issued together: one batch script call.
    await Promise.all([store.consume('{t}:b', policy, 1), store.consume('{u}:b', policy, 1)]);
    const fleet = store.fleet as NonNullable<typeof store.fleet>;
    await fleet.saveOverride('t', { burstSize: 3 });
    await fleet.publishReset('t');
    fleet.recordSeen('t', 'free', Date.now());
    expect((await fleet.listSeen(10)).map((s) => s.tenantId)).toEqual(['t']);
    expect(await fleet.listSeenAfter({ tenantId: 't', lastSeen: Number.MAX_SAFE_INTEGER }, 10)).toHaveLength(1);
    await fleet.publishLoad(0.5, 5_000);
    await store.close(); // withdraws this instance's load: one more EVALSHA

    const stats = commandStats(await client.info('commandstats'));
    expect(stats.eval, 'EVAL was needed: some SHA did not match the cached script').toBeUndefined();
    expect(stats.evalsha).toMatchObject({ calls: 14, failed_calls: 0, rejected_calls: 0 });
  });
});

describe('round trips of an HTTP request', () => {
  it('an allowed request with a concurrency slot costs one EVALSHA (decision and lease) and one ZREM (release)', async () => {
    const store = new RedisStore({ client, keyPrefix: 'rt:', fleet: false });
    const limiter = createHttpRateLimiter({ env: false, store, load: { enabled: false }, admin: false });
    const request = () => limiter.handle({ raw: {}, method: 'GET', url: '/x', headers: { 'x-tenant-id': 'acme' }, ip: '127.0.0.1' });
    await request(); // connection warm, scripts cached
    await client.config('RESETSTAT');
    for (let i = 0; i < 5; i++) {
      const outcome = await request();
      expect(outcome.action).toBe('continue');
      if (outcome.action === 'continue') await outcome.release?.();
    }
    const stats = commandStats(await client.info('commandstats'));
    expect(stats.evalsha?.calls).toBe(5);
    expect(stats.zrem?.calls).toBe(5);
    expect(stats.eval).toBeUndefined();
    await limiter.close();
  });

  it('requests arriving together share one EVALSHA (20 decisions and leases in it), and still cost one ZREM each', async () => {
    const store = new RedisStore({ client, keyPrefix: 'rt2:', fleet: false });
    const limiter = createHttpRateLimiter({ env: false, store, load: { enabled: false }, admin: false });
    const request = (i: number) => limiter.handle({ raw: {}, method: 'GET', url: '/x', headers: { 'x-tenant-id': `acme-${i % 4}` }, ip: '127.0.0.1' });
    await Promise.all([0, 1, 2, 3].map(request)); // connection warm, scripts cached, tenants known
    await client.config('RESETSTAT');
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => request(i)));
    for (const outcome of outcomes) {
      expect(outcome.action).toBe('continue');
      if (outcome.action === 'continue') await outcome.release?.();
    }
    const stats = commandStats(await client.info('commandstats'));
    expect(stats.evalsha?.calls).toBe(1);
    expect(stats.zrem?.calls).toBe(20);
    expect(stats.eval).toBeUndefined();
    await limiter.close();
  });
});
