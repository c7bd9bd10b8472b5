/**
 * Fast unit lane: RedisStore's Lua scripts run on ioredis-mock (an in-memory emulator that
 * executes Lua through fengari), no server needed.
 *
 * What the mock can prove: the bucket and lease scripts (GET/SET PX, ZREMRANGEBYSCORE, ZADD,
 * ZCARD, ZCOUNT, PTTL/PEXPIRE) give the conformance answers with an injected clock. What it
 * cannot: its TIME is broken (see below); it cannot return the batch script's reply (see below);
 * `ZADD … GT` (used by the fleet tenant index, RECORD_SEEN_LUA)
 * fails inside the mock's Lua VM ("Error trying to loading or executing lua code"), so the fleet
 * runs with `fleet: false` here; and an in-process emulator proves nothing about concurrency
 * between processes, Cluster slots, the server's script cache or real expiry. This lane is
 * never the proof of Redis behaviour: the *.int.test.ts files run every claim against a real
 * redis-server (and a real 3-master Cluster).
 */
import { describeStoreConformance } from '@aurum/ratelimit-testkit';
import RedisMock from 'ioredis-mock';
import { describe, expect, it } from 'vitest';
import { RedisStore, SCRIPTS } from '../src/index.js';

let db = 0;
/** A mock client on its own data set (ioredis-mock shares data between clients of one host:port:db). */
const mockClient = () => new RedisMock({ db: 0, port: 40_000 + ++db, enableOfflineQueue: false });

// No `createRealtime`: ioredis-mock 8.13.1's TIME is not a clock. It answers
// [Math.round(Date.now() / 1000), Math.round(process.hrtime()[1] / 1000)]: seconds rounded (not
// floored) glued to microseconds of an unrelated timer, so "now" jumps by up to ±1 s between
// calls and a bucket on it refills at random. Every test in this lane injects a clock; Redis
// TIME is proven on real servers (conformance.int, skew.int, atomicity.int).
// `batch: false`: the mock returns a Lua table as a reply only when fengari enumerates its keys
// from the last down, which holds for a table built by one constructor ({ a, b }) but not for
// the batch script's reply, built entry by entry (the mock answers undefined). Batching is proven
// on real servers (conformance.int, cluster.int, batching.int).
describeStoreConformance({
  combined: true,
  name: 'RedisStore on ioredis-mock (Lua via fengari; unit lane only)',
  create: (clock) => new RedisStore({ client: mockClient(), clock, fleet: false, batch: false }),
});

describe('RedisStore on ioredis-mock: script plumbing', () => {
  it('falls back from EVALSHA to EVAL on NOSCRIPT, then the script is cached', async () => {
    const client = mockClient();
    await expect(client.evalsha(SCRIPTS.consume.sha, 1, 'k', 200_000, 10, 1, '0')).rejects.toThrow(/NOSCRIPT/);
    const store = new RedisStore({ client, fleet: false, clock: { now: () => 1_000 } });
    expect(await store.consume('{t}:b', { rate: 5, burst: 10 }, 1)).toMatchObject({ allowed: true, remaining: 9 });
    expect(await store.consume('{t}:b', { rate: 5, burst: 10 }, 1)).toMatchObject({ allowed: true, remaining: 8 });
    // EVAL cached it: the SHA now runs directly.
    // (allowed; it decided from the stored TAT, 1.4 s, at now = 1 s)
    expect(await client.evalsha(SCRIPTS.consume.sha, 1, 'aurum:rl:{t}:b', 200_000, 10, 1, '1000000')).toEqual([1, 1_400_000, 1_000_000]);
    await store.close();
  });

  it('every bucket and lease key it writes carries a TTL', async () => {
    const client = mockClient();
    const store = new RedisStore({ client, fleet: false, clock: { now: () => Date.now() } });
    await store.consume('{t}:b', { rate: 5, burst: 10 }, 3);
    await store.acquire('{t}:c', 2, 10_000);
    const keys = await client.keys('*');
    expect(keys.sort()).toEqual(['aurum:rl:{t}:b', 'aurum:rl:{t}:c:leases']);
    for (const key of keys) expect(await client.pttl(key), key).toBeGreaterThan(0);
    await store.close();
  });
});
