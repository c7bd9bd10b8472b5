// RedisStore decisions per second at concurrency 1 and 64, against a bare EVALSHA of the very
// same Lua script on the same client (the floor any Redis limiter pays), in the same run.
import { createRedisStoreFromUrl, SCRIPTS } from '@aurum/ratelimit-redis';
import { compareConcurrent } from './lib/concurrent.mjs';
import { startRedis } from './lib/redis-server.mjs';

const redis = await startRedis();
const store = createRedisStoreFromUrl(redis.url, { fleet: false });
await store.waitForConnection();
const policy = { rate: 1e6, burst: 1e6 };
const keys = Array.from({ length: 1000 }, (_, i) => `{tenant-${i}}:b`);
const sha = SCRIPTS.consume.sha;
await store.consume(keys[0], policy, 1); // loads the script
const interval = Math.ceil(1e6 / policy.rate);

for (const concurrency of [1, 64]) {
  await compareConcurrent(
    `Redis decisions, concurrency ${concurrency} (1000 tenants, auto-pipelining)`,
    [
      { name: 'RedisStore.consume', op: (i) => store.consume(keys[i % 1000], policy, 1) },
      { name: 'bare client.evalsha (same script)', op: (i) => store.client.evalsha(sha, 1, `aurum:rl:${keys[i % 1000]}`, interval, policy.burst, 1, '') },
    ],
    { concurrency, total: concurrency === 1 ? 20_000 : 100_000 },
  );
}
await store.close();
redis.stop();
