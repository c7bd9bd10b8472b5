// MemoryStore decisions per second, against rate-limiter-flexible's RateLimiterMemory in the
// same run. Usage: pnpm bench (builds first) or node bench/memory-store.mjs after a build.
import { createRateLimitManager } from '@aurum/ratelimit-core';
import { MemoryStore } from '@aurum/ratelimit-memory';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { compare } from './lib/measure.mjs';

const policy = { rate: 1e6, burst: 1e6 }; // never denies: we measure the decision, not the refusal path
const hotKeys = Array.from({ length: 1000 }, (_, i) => `{tenant-${i}}:b`);
const tenants = Array.from({ length: 1000 }, (_, i) => `tenant-${i}`);

const aurum = new MemoryStore({ sweepIntervalMs: 0 });
const flexible = new RateLimiterMemory({ points: 1e6, duration: 1 });

await compare('Store decisions, 1000 hot keys (one consume per call)', [
  { name: '@aurum/ratelimit-memory MemoryStore.consume', op: (i) => aurum.consume(hotKeys[i % 1000], policy, 1) },
  { name: 'rate-limiter-flexible RateLimiterMemory.consume', op: (i) => flexible.consume(tenants[i % 1000], 1) },
]);

const manager = createRateLimitManager({ env: false, load: { enabled: false }, tiers: { free: { requestsPerSecond: 1e6, burstSize: 1e6 } } });
await compare('Full manager decision (validation, tier, route rules, store), 1000 tenants', [
  { name: 'RateLimitManager.checkRateLimit', op: (i) => manager.checkRateLimit(tenants[i % 1000], '/v1/scenarios') },
]);

const churn = new MemoryStore({ maxKeys: 10_000, sweepIntervalMs: 0 });
await compare('Key flood: every call a new tenant, cap 10k keys (eviction path)', [
  { name: 'MemoryStore.consume (new key each call)', op: (i) => churn.consume(`{flood-${i}-${Math.random()}}:b`, policy, 1) },
]);
console.log(`\nkeys held after flood: ${churn.size} (cap 10000), evictions: ${churn.evictions}`);

await Promise.all([aurum.close(), churn.close(), manager.close()]);
