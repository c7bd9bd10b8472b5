// Profiling target for bench/profile.mjs: the manager (or the bare store) on Redis at
// concurrency 64 for a while, with the library's recommended client (createRedisStoreFromUrl).
//   node --cpu-prof profile-redis-worker.mjs <redisUrl> healthy|store|open <ms>
import { createRateLimitManager } from '@aurum/ratelimit-core';
import { createRedisStoreFromUrl } from '@aurum/ratelimit-redis';
import { runFor } from '../lib/concurrent.mjs';
import { freePort } from '../lib/redis-server.mjs';

const [url, mode, ms] = process.argv.slice(2);
const HUGE = { requestsPerSecond: 1e6, burstSize: 1e9, maxConcurrentRequests: 1e6 };
const tiers = { free: HUGE, basic: HUGE, premium: HUGE, enterprise: HUGE };
const tenants = Array.from({ length: 1000 }, (_, i) => `t-${i}`);
let op;
let close;
if (mode === 'store') {
  const store = createRedisStoreFromUrl(url, { fleet: false });
  await store.waitForConnection();
  const policy = { rate: 1e6, burst: 1e9 };
  const keys = tenants.map((t) => `{${t}}:b`);
  op = (i) => store.consume(keys[i % 1000], policy, 1);
  close = () => store.close();
} else {
  const target = mode === 'open' ? `redis://127.0.0.1:${await freePort()}` : url;
  const manager = createRateLimitManager({ env: false, tiers, store: createRedisStoreFromUrl(target) });
  if (mode === 'open') {
    for (let i = 0; i < 100 && manager.store.primary.isStarting(); i++) await new Promise((r) => setTimeout(r, 10));
    manager.breaker.open('profile');
  } else {
    await manager.store.primary.waitForConnection();
  }
  await manager.ready;
  op = (i) => manager.checkRateLimit(tenants[i % 1000], '/v1/items', { method: 'GET' });
  close = () => manager.close();
}
const r = await runFor(op, { concurrency: 64, durationMs: Number(ms) });
await close();
console.log(JSON.stringify({ opsPerSec: r.opsPerSec, p99us: r.p99us, errors: r.errors }));
process.exit(0);
