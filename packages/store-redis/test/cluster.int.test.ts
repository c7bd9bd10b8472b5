import { describeStoreConformance, type RedisCluster, startRedisCluster } from '@aurum/ratelimit-testkit';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { LIMITER_CLIENT_OPTIONS, RedisStore } from '../src/index.js';

let cluster: RedisCluster;
const clients: Cluster[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await cluster?.stop();
});

export async function clusterClient(): Promise<Cluster> {
  const c = new Cluster([...cluster.startupNodes], { redisOptions: LIMITER_CLIENT_OPTIONS, enableOfflineQueue: false, enableAutoPipelining: true });
  clients.push(c);
  await new Promise((resolve, reject) => {
    c.once('ready', resolve);
    c.once('error', reject);
  });
  return c;
}

describeStoreConformance({
  combined: true,
  name: 'RedisStore on a real 3-master Redis Cluster',
  create: async (clock) => new RedisStore({ client: await clusterClient(), clock, fleet: false }),
  createRealtime: async () => new RedisStore({ client: await clusterClient(), fleet: false }),
});
