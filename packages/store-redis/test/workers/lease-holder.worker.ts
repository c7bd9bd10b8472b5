/**
 * Crash worker: takes every concurrency slot of a tenant through a manager on Redis, reports,
 * and then just sits there until the parent SIGKILLs it (no release, no clean shutdown).
 */
import { createRateLimitManager } from '@aurum/ratelimit-core';
import type { StoreFailure } from '@aurum/ratelimit-core/store';
import { Redis } from 'ioredis';
import { LIMITER_CLIENT_OPTIONS, RedisStore } from '../../src/index.js';
import { config, guard, send } from './worker-runtime.js';

export interface LeaseHolderConfig {
  url: string;
  keyPrefix: string;
  tenant: string;
  limit: number;
  leaseMs: number;
}

guard(20_000);
const cfg = config<LeaseHolderConfig>();
const client = new Redis(cfg.url, LIMITER_CLIENT_OPTIONS);
const store = new RedisStore({ client, keyPrefix: cfg.keyPrefix, fleet: false });
await store.waitForConnection();
const failures: StoreFailure[] = [];
const manager = createRateLimitManager({
  store,
  env: false,
  load: { enabled: false },
  storeTimeoutMs: 2_000,
  concurrencyLeaseMs: cfg.leaseMs,
  overrides: { [cfg.tenant]: { maxConcurrentRequests: cfg.limit } },
  observer: { onStoreFailure: (f) => failures.push(f) },
});
const before = Date.now();
const slots = [];
for (let i = 0; i < cfg.limit; i++) slots.push(await manager.acquireConcurrency(cfg.tenant));
const after = Date.now();
send({ type: 'held', before, after, allowed: slots.map((s) => s.allowed), failures: failures.map((f) => String(f.error)) });
setInterval(() => {}, 1_000); // hold the leases until killed
