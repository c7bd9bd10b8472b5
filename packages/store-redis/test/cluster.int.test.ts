import { gcraConsume } from '@aurum/ratelimit-core/store';
import { describeStoreConformance, FakeClock, type RedisCluster, startRedisCluster } from '@aurum/ratelimit-testkit';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  quota: true,
  name: 'RedisStore on a real 3-master Redis Cluster',
  create: async (clock) => new RedisStore({ client: await clusterClient(), clock, fleet: false }),
  createRealtime: async () => new RedisStore({ client: await clusterClient(), fleet: false }),
});

describe('batched decisions on a Cluster', () => {
  it('sends one EVALSHA per hash slot of a batch, each decided in order, every answer exact', async () => {
    const client = await clusterClient();
    const clock = new FakeClock();
    const store = new RedisStore({ client, clock, fleet: false, keyPrefix: 'cb:' });
    const policy = { rate: 5, burst: 3 };
    // Twelve tenants over the three masters, each decided three times in one batch.
    const tenants = Array.from({ length: 12 }, (_, i) => `slot-${i}`);
    const calls = [0, 1, 2].flatMap((round) => tenants.map((t, i) => ({ key: `{${t}}:b`, cost: 1 + ((i + round) % 2) })));
    const masters = client.nodes('master');
    await Promise.all(masters.map((m) => m.config('RESETSTAT')));
    const answers = await Promise.all(calls.map((c) => store.consume(c.key, policy, c.cost)));
    const evalsha = await Promise.all(masters.map(async (m) => Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(await m.info('commandstats'))?.[1] ?? 0)));
    const slots = new Set(await Promise.all(tenants.map((t) => cluster.slotOf(`cb:{${t}}:b`))));
    expect(evalsha.reduce((a, b) => a + b, 0)).toBe(slots.size);
    expect(evalsha.filter((n) => n > 0).length, 'the batch spans every master').toBe(3);

    const now = Math.round(clock.now() * 1000);
    const tats = new Map<string, number>();
    calls.forEach((c, i) => {
      const expected = gcraConsume(tats.get(c.key), now, policy, c.cost);
      tats.set(c.key, expected.tatUs);
      expect(answers[i], `call ${i} on ${c.key}`).toEqual(expected.result);
    });
    await store.close();
  });
});
