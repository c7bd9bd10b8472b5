import { describeStoreConformance, type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { createRedisStoreFromUrl, LIMITER_CLIENT_OPTIONS, RedisStore } from '../src/index.js';

let server: RedisServer;
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});

async function client(): Promise<Redis> {
  const c = new Redis(server.url, LIMITER_CLIENT_OPTIONS);
  clients.push(c);
  await new Promise((resolve) => c.once('ready', resolve));
  return c;
}

describeStoreConformance({
  combined: true,
  quota: true,
  name: 'RedisStore on a real redis-server',
  create: async (clock) => new RedisStore({ client: await client(), clock, fleet: false }),
  createRealtime: async () => {
    const store = createRedisStoreFromUrl(server.url, { fleet: false });
    await store.waitForConnection();
    return store;
  },
});
