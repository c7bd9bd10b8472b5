/**
 * Fleet load through one real Redis: each instance publishes its smoothed load to one hash under
 * the `{meta}` tag (per-field timestamps, key TTL), and with `load.fleet` decides on the mean of
 * the live instances. The cross-process test runs a really busy worker process.
 */
import { FakeClock, type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../src/index.js';
import { connect, type Instance, sleep, startInstance, within } from './instances.js';
import type { LoadPublisherConfig } from './workers/load-publisher.worker.js';
import { WorkerProcess } from './workers/process.js';

let server: RedisServer;
let admin: Redis;
let instances: Instance[] = [];
let workers: WorkerProcess[] = [];
let seq = 0;

beforeAll(async () => {
  server = await startRedisServer();
  admin = (await connect(server.url)) as Redis;
});
afterEach(async () => {
  await Promise.all(workers.map((w) => w.kill()));
  workers = [];
  await Promise.all(instances.map((i) => i.close()));
  instances = [];
});
afterAll(async () => {
  admin?.disconnect();
  await server?.stop();
});

const freshPrefix = () => `load${++seq}-${Date.now().toString(36)}:`;

async function store(keyPrefix: string): Promise<RedisStore> {
  return new RedisStore({ client: await connect(server.url), keyPrefix, ownsClient: true });
}

describe('RedisFleetSync load sharing', () => {
  it('publishes per instance, reads every live instance, and keeps one key with a TTL under {meta}', async () => {
    const prefix = freshPrefix();
    const [a, b] = await Promise.all([store(prefix), store(prefix)]);
    const fa = a.fleet as NonNullable<RedisStore['fleet']>;
    const fb = b.fleet as NonNullable<RedisStore['fleet']>;
    expect(fa.fleetLoad()).toBeUndefined();
    await fa.publishLoad(0.9, 5_000);
    expect(fa.fleetLoad()).toEqual({ mean: 0.9, max: 0.9, instances: 1 });
    await fb.publishLoad(0.1, 5_000);
    expect(fb.fleetLoad()?.instances).toBe(2);
    expect(fb.fleetLoad()?.mean).toBeCloseTo(0.5, 10);
    expect(fb.fleetLoad()?.max).toBe(0.9);

    const keys = await admin.keys(`${prefix}*load*`);
    expect(keys).toEqual([`${prefix}{meta}:load`]);
    const ttl = await admin.pttl(keys[0] as string);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);
    expect(Object.keys(await admin.hgetall(keys[0] as string)).sort()).toEqual([fa.instanceId, fb.instanceId].sort());

    // Closing withdraws the instance at once.
    await a.close();
    await fb.publishLoad(0.1, 5_000);
    expect(fb.fleetLoad()).toEqual({ mean: 0.1, max: 0.1, instances: 1 });
    await b.close();
    expect(await admin.exists(`${prefix}{meta}:load`)).toBe(0);
  });

  it('forgets the fleet reading once it is older than its TTL, on the clock it was given', async () => {
    const clock = new FakeClock();
    const fleetStore = new RedisStore({ client: await connect(server.url), keyPrefix: freshPrefix(), ownsClient: true, clock });
    const fleet = fleetStore.fleet as NonNullable<RedisStore['fleet']>;
    try {
      await fleet.publishLoad(0.7, 5_000);
      expect(fleet.fleetLoad()?.mean).toBe(0.7);
      clock.advance(5_000);
      expect(fleet.fleetLoad()?.mean).toBe(0.7);
      // No real time passes: only the injected clock says the reading is stale.
      clock.advance(1);
      expect(fleet.fleetLoad()).toBeUndefined();
    } finally {
      await fleetStore.close();
    }
  });

  it('drops an instance that stopped publishing once its entry is older than the TTL', async () => {
    const prefix = freshPrefix();
    const [a, b] = await Promise.all([store(prefix), store(prefix)]);
    const fa = a.fleet as NonNullable<RedisStore['fleet']>;
    const fb = b.fleet as NonNullable<RedisStore['fleet']>;
    await fa.publishLoad(1, 300);
    await fb.publishLoad(0, 300);
    expect(fb.fleetLoad()?.instances).toBe(2);
    await sleep(400);
    await fb.publishLoad(0, 300); // A went quiet (crashed, say): it no longer counts
    expect(fb.fleetLoad()).toEqual({ mean: 0, max: 0, instances: 1 });
    await Promise.all([a.close(), b.close()]);
  });

  it('forgets a reading older than its TTL even when no publish has completed or failed since', async () => {
    const prefix = freshPrefix();
    const s = await store(prefix);
    const fleet = s.fleet as NonNullable<RedisStore['fleet']>;
    await fleet.publishLoad(0.7, 200);
    expect(fleet.fleetLoad()?.mean).toBe(0.7);
    await sleep(250); // a publish hanging this long must not leave decisions on the old mean
    expect(fleet.fleetLoad()).toBeUndefined();
    await s.close();
  });

  it('forgets the fleet load once Redis has been unreachable for longer than the TTL', async () => {
    const prefix = freshPrefix();
    const s = await store(prefix);
    const fleet = s.fleet as NonNullable<RedisStore['fleet']>;
    await fleet.publishLoad(0.7, 200);
    expect(fleet.fleetLoad()?.mean).toBe(0.7);
    (s.client as Redis).disconnect();
    await expect(fleet.publishLoad(0.7, 200)).rejects.toThrow();
    expect(fleet.fleetLoad()?.mean).toBe(0.7); // within the TTL: the last reading stands
    await sleep(250);
    await expect(fleet.publishLoad(0.7, 200)).rejects.toThrow();
    expect(fleet.fleetLoad()).toBeUndefined();
    await s.close();
  });
});

describe('fleet load across two processes on one Redis', () => {
  const SAMPLE_MS = 100;
  const THRESHOLD = 0.3;

  /** A really busy worker process (event loop spinning) publishing its load when `fleet`. */
  async function busyWorker(keyPrefix: string, fleet: boolean): Promise<WorkerProcess> {
    const cfg: LoadPublisherConfig = { url: server.url, keyPrefix, fleet, sampleIntervalMs: SAMPLE_MS, threshold: THRESHOLD };
    const worker = new WorkerProcess('load-publisher.worker.ts', cfg);
    workers.push(worker);
    await worker.next('ready', 20_000);
    return worker;
  }

  /** An idle instance in this process (its own signal reads 0), fleet load on or off. */
  async function idleInstance(keyPrefix: string, fleet: boolean): Promise<Instance> {
    const i = await startInstance(server.url, {
      keyPrefix,
      manager: { load: { fleet, signal: () => 0, sampleIntervalMs: SAMPLE_MS, smoothingMs: 0, threshold: THRESHOLD } },
    });
    instances.push(i);
    return i;
  }

  async function workerHealth(worker: WorkerProcess): Promise<Record<string, unknown>> {
    worker.send({ type: 'health' });
    return (await worker.next('health', 5_000)).health as Record<string, unknown>;
  }

  it('with load.fleet on, a busy process lowers the factor an idle one applies', async () => {
    const prefix = freshPrefix();
    const worker = await busyWorker(prefix, true);
    const idle = await idleInstance(prefix, true);
    await within(5_000, 'both instances in the fleet load', async () => (await idle.manager.health()).fleetInstances === 2);
    const busy = await workerHealth(worker);
    const health = await idle.manager.health();
    const decision = await idle.manager.checkRateLimit('acme');
    console.info(
      `[fleet-load] busy worker load ${Number(busy.systemLoad).toFixed(2)}; idle instance: own ${health.systemLoad}, fleet ${health.fleetLoad?.toFixed(2)}, free factor ${decision.metadata.loadFactor.toFixed(3)}`,
    );
    expect(busy.systemLoad).toBeGreaterThan(0.8);
    expect(health.systemLoad).toBe(0);
    expect(health.fleetLoad).toBeGreaterThan(THRESHOLD);
    expect(decision.metadata.loadFactor).toBeLessThan(1);
    expect(health.loadFactors.free).toBeLessThan(1);
    expect(idle.problems).toEqual([]);
  }, 30_000);

  it('with load.fleet off, the idle process keeps factor 1 next to the same busy one', async () => {
    const prefix = freshPrefix();
    // The worker even publishes (fleet on there); the idle instance does not use fleet load.
    const worker = await busyWorker(prefix, true);
    const idle = await idleInstance(prefix, false);
    await within(5_000, 'the busy worker to publish', async () => (await admin.hlen(`${prefix}{meta}:load`)) === 1);
    await sleep(10 * SAMPLE_MS);
    const busy = await workerHealth(worker);
    const health = await idle.manager.health();
    expect(busy.systemLoad).toBeGreaterThan(0.8);
    expect(health.fleetLoad).toBeNull();
    expect((await idle.manager.checkRateLimit('acme')).metadata.loadFactor).toBe(1);
    expect(health.loadFactors).toEqual({ free: 1, basic: 1, premium: 1, enterprise: 1 });
  }, 30_000);

  it('with load.fleet off on both, nothing is published', async () => {
    const prefix = freshPrefix();
    await busyWorker(prefix, false);
    const idle = await idleInstance(prefix, false);
    await sleep(10 * SAMPLE_MS);
    expect(await admin.exists(`${prefix}{meta}:load`)).toBe(0);
    expect((await idle.manager.checkRateLimit('acme')).metadata.loadFactor).toBe(1);
  }, 30_000);
});
