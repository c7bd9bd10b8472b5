/**
 * Concurrency leases of a crashed process expire on their own: a child process takes every slot
 * of a tenant through a manager on Redis and is SIGKILLed without releasing anything.
 */
import { createRateLimitManager, type RateLimitManager } from '@aurum/ratelimit-core';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LIMITER_CLIENT_OPTIONS, RedisStore } from '../src/index.js';
import type { LeaseHolderConfig } from './workers/lease-holder.worker.js';
import { WorkerProcess } from './workers/process.js';

const LEASE_MS = 1_500;
const LIMIT = 3;
const KEY_PREFIX = 'leases:';

let server: RedisServer;
let client: Redis;
let store: RedisStore;
let manager: RateLimitManager;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  client = new Redis(server.url, LIMITER_CLIENT_OPTIONS);
  store = new RedisStore({ client, keyPrefix: KEY_PREFIX, fleet: false });
  await store.waitForConnection();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.kill('SIGKILL')));
  await manager?.close();
});
afterAll(async () => {
  client?.disconnect();
  await server?.stop();
});

describe('concurrency leases of a crashed process', () => {
  it('hold the slots until the lease time passes, then free them', async () => {
    const tenant = `crash-${Date.now().toString(36)}`;
    const leaseKey = `{${tenant}}:c`;
    const worker = new WorkerProcess('lease-holder.worker.ts', {
      url: server.url,
      keyPrefix: KEY_PREFIX,
      tenant,
      limit: LIMIT,
      leaseMs: LEASE_MS,
    } satisfies LeaseHolderConfig);
    workers.push(worker);
    const held = (await worker.next('held', 15_000)) as unknown as { before: number; after: number; allowed: boolean[]; failures: string[] };
    expect(held.failures).toEqual([]);
    expect(held.allowed).toEqual(Array(LIMIT).fill(true));

    await worker.kill('SIGKILL');
    expect((await worker.exited).signal).toBe('SIGKILL');

    const failures: unknown[] = [];
    manager = createRateLimitManager({
      store,
      env: false,
      load: { enabled: false },
      storeTimeoutMs: 2_000,
      concurrencyLeaseMs: LEASE_MS,
      overrides: { [tenant]: { maxConcurrentRequests: LIMIT } },
      observer: { onStoreFailure: (f) => failures.push(f.error) },
    });
    // Right after the crash the dead process still holds every slot.
    const denied = await manager.acquireConcurrency(tenant);
    expect(denied).toMatchObject({ allowed: false, active: LIMIT, limit: LIMIT });

    // Poll (reads only) until the slots are free, with a deadline.
    const polls: Array<{ sentAt: number; doneAt: number; count: number }> = [];
    const deadline = held.after + LEASE_MS + 3_000;
    for (;;) {
      const sentAt = Date.now();
      const count = await store.countLeases(leaseKey);
      polls.push({ sentAt, doneAt: Date.now(), count });
      if (count === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const freed = polls.find((p) => p.count === 0);
    expect(freed, 'leases never expired').toBeDefined();
    // Leases were taken at Redis time ≥ held.before; none can expire before that + LEASE_MS.
    for (const p of polls) if (p.doneAt < held.before + LEASE_MS) expect(p.count, `poll at +${p.doneAt - held.before} ms`).toBe(LIMIT);
    // …and all have expired once held.after + LEASE_MS has passed.
    for (const p of polls) if (p.sentAt > held.after + LEASE_MS) expect(p.count, `poll at +${p.sentAt - held.before} ms`).toBe(0);
    console.info(`[leases] slots freed ${(freed?.doneAt ?? 0) - held.before} ms after acquisition (lease ${LEASE_MS} ms)`);

    // Every slot can be taken again, and no more.
    const slots = [];
    for (let i = 0; i < LIMIT; i++) slots.push(await manager.acquireConcurrency(tenant));
    expect(slots.map((s) => s.allowed)).toEqual(Array(LIMIT).fill(true));
    expect((await manager.acquireConcurrency(tenant)).allowed).toBe(false);
    await Promise.all(slots.map((s) => s.release()));
    expect(await store.countLeases(leaseKey)).toBe(0);
    // Every answer above came from Redis, not from the in-memory fallback.
    expect(failures).toEqual([]);
  }, 30_000);
});
