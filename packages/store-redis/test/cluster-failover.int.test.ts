/**
 * A Redis Cluster master killed with SIGKILL under real HTTP traffic, on 3 masters with one
 * replica each (`--cluster-node-timeout 1000`), with a Cluster client on LIMITER_CLUSTER_OPTIONS:
 * the app keeps answering (no 5xx, no hang), the tenants whose slot lived on the dead master are
 * decided by the fallback until its replica is promoted, then by Redis again, with their
 * fleet-wide override still in force.
 *
 * What the test does not assert, because it is not so: tenants on the healthy masters keep
 * Redis. The breaker is one per store, not per slot, so failures on the dead master's slots open
 * it for every tenant (how soon depends on how failures and successes interleave: three in a
 * row here); and once the masters agree the dead one has failed, the whole cluster answers
 * CLUSTERDOWN until the promotion (`cluster-require-full-coverage yes`, the default). The test
 * logs what they got instead.
 */
import { performance } from 'node:perf_hooks';
import type { DecisionSource } from '@aurum/ratelimit-core/store';
import { type ClusterNodeInfo, parseClusterNodes, type RedisCluster, startRedisCluster } from '@aurum/ratelimit-testkit';
import { Cluster, type Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LIMITER_CLUSTER_OPTIONS, RedisStore } from '../src/index.js';
import { connect, type Instance, startInstance, within } from './instances.js';
import { closeAllApps, expectBoundedLatency, runLoad, type Sample, sleep, startApp, stats, type TestApp, withLoopDelay } from './support/http-app.js';

const NODE_TIMEOUT_MS = 1_000;
/** The bound: decisions for the failed slot are back on Redis this long after the promotion. */
const BACK_ON_PRIMARY_MS = 2_000;
/** A quota no tier has, so a decision's `limit` shows the override applied. */
const OVERRIDE = { burstSize: 4_321, requestsPerSecond: 2_000 };
const OVERRIDES_KEY = 'aurum:rl:{meta}:overrides';

let cluster: RedisCluster;
let fresh: Instance | undefined;
let watcher: Redis | undefined;

beforeAll(async () => {
  cluster = await startRedisCluster({ replicas: 1, nodeTimeoutMs: NODE_TIMEOUT_MS });
}, 30_000);
afterEach(async () => {
  watcher?.disconnect();
  await fresh?.close();
  fresh = undefined;
  await closeAllApps();
});
afterAll(async () => {
  await cluster?.stop();
});

const serves = (node: ClusterNodeInfo, slot: number) => node.role === 'master' && node.slots.some(([first, last]) => slot >= first && slot <= last);

/** Up to `count` enterprise tenant ids on each master in `ports` (by the slot of their hash tag). */
async function tenantsOn(topology: ClusterNodeInfo[], ports: number[], count: number): Promise<Map<number, string[]>> {
  const found = new Map<number, string[]>(ports.map((p) => [p, []]));
  for (let i = 0; [...found.values()].some((list) => list.length < count); i++) {
    if (i > 200) throw new Error('could not find tenant ids for every master');
    const id = `ent-fo-${i}`;
    const slot = await cluster.slotOf(`{${id}}`);
    const list = found.get(topology.find((n) => serves(n, slot))?.port ?? -1);
    if (list && list.length < count) list.push(id);
  }
  return found;
}

/** How many decisions for `tenants` each source made with `at` in [from, to). */
function sourcesIn(app: TestApp, tenants: readonly string[], from: number, to: number): Partial<Record<DecisionSource, number>> {
  const out: Partial<Record<DecisionSource, number>> = {};
  for (const d of app.decisions) if (d.at >= from && d.at < to && tenants.includes(d.tenantId)) out[d.source] = (out[d.source] ?? 0) + 1;
  return out;
}

const failedResponses = (samples: readonly Sample[]) => samples.filter((s) => s.status >= 500 || s.status === 0);

describe('Redis Cluster: a master killed with SIGKILL under a steady request loop', () => {
  it('answers without a 5xx or a hang, decides its slots from the fallback, and is back on Redis with the override within 2 s of the promotion', async () => {
    // The victim serves the {meta} slot too, so the override hash and event stream fail over as well.
    const topology = await cluster.topology();
    const metaSlot = await cluster.slotOf('{meta}');
    const victim = topology.find((n) => serves(n, metaSlot));
    const replica = topology.find((n) => n.masterId === victim?.id)?.server;
    if (!victim?.server || !replica) throw new Error(`no master with a replica for the {meta} slot: ${JSON.stringify(topology)}`);
    const others = topology.filter((n) => n.role === 'master' && n !== victim).map((n) => n.port);
    const byMaster = await tenantsOn(topology, [victim.port, ...others], 2);
    const onVictim = byMaster.get(victim.port) ?? [];
    const elsewhere = others.flatMap((port) => byMaster.get(port)?.slice(0, 1) ?? []);
    const tenants = [...onVictim, ...elsewhere];
    const overridden = onVictim[0] as string;

    // Leasing off: this test follows each decision's source through the failover (primary, then
    // fallback, then primary), and the override's 2000/s would make its tenant leased, under the
    // reserved burst. Leasing through faults is faults-leasing.int.test.ts.
    const app = await startApp({
      store: new RedisStore({ client: new Cluster([...cluster.startupNodes], LIMITER_CLUSTER_OPTIONS), ownsClient: true }),
      limiter: { leasing: false },
    });
    await app.limiter.manager.ready;
    await app.limiter.manager.setTenantOverride(overridden, OVERRIDE);
    // Replication is asynchronous: kill the master only once its replica holds the override.
    const onReplica = (await connect(replica.url)) as Redis;
    try {
      await onReplica.readonly();
      await within(2_000, 'the override on the replica', async () => (await onReplica.hget(OVERRIDES_KEY, overridden)) !== null);
    } finally {
      onReplica.disconnect();
    }
    for (const t of tenants) expect((await app.get(t)).status).toBe(200);
    expect(app.decisions.map((d) => d.source)).toEqual(tenants.map(() => 'primary'));
    expect(app.decisions.find((d) => d.tenantId === overridden)?.limit).toBe(OVERRIDE.burstSize);

    // Promotion is read from CLUSTER NODES on a surviving master, over one connection (spawning
    // redis-cli every few ms would load the event loop the app runs on).
    watcher = (await connect(`redis://127.0.0.1:${others[0]}`)) as Redis;
    const owner = async () => parseClusterNodes(String(await watcher?.cluster('NODES')), cluster.nodes).find((n) => serves(n, metaSlot));

    // One client per tenant, a request every ~5 ms each; the kill comes half a second in, and
    // the loop ends a second after the back-on-primary bound (15 s at most).
    const stop = new AbortController();
    const startedAt = performance.now();
    let killedAt = 0;
    let failedAt = Number.NaN;
    /** Start of the last CLUSTER NODES query that still showed the victim serving the slot. */
    let stillOwnedAt = Number.NaN;
    let promotedAt = Number.NaN;
    const { result: samples, loopDelayMaxMs } = await withLoopDelay(async () => {
      const load = runLoad(app, {
        clients: tenants.length,
        durationMs: 15_000,
        maxRequests: 100_000,
        tenant: (i) => tenants[i] as string,
        gapMs: 5,
        signal: stop.signal,
      });
      await sleep(500);
      killedAt = performance.now();
      await victim.server?.kill();
      while (Number.isNaN(promotedAt) && performance.now() - killedAt < 10_000) {
        const asked = performance.now();
        const now = await owner();
        if (now?.port === victim.port) {
          stillOwnedAt = asked;
          // `fail` (not just `fail?`): the masters agree, and the cluster answers CLUSTERDOWN.
          if (now.flags.includes('fail') && Number.isNaN(failedAt)) failedAt = performance.now();
        } else if (now && !now.failing) promotedAt = performance.now();
        await sleep(20);
      }
      if (!Number.isNaN(promotedAt)) await sleep(BACK_ON_PRIMARY_MS + 1_000);
      stop.abort();
      return load;
    });
    const stoppedAt = performance.now();
    expect(promotedAt, 'a replica was promoted within 10 s').not.toBeNaN();

    const backAt = app.decisions.find((d) => d.at >= promotedAt && d.source === 'primary' && onVictim.includes(d.tenantId))?.at ?? Number.NaN;
    const since = (t: number) => Math.round(t - killedAt);
    const window = (from: number, to: number) => ({ onVictim: sourcesIn(app, onVictim, from, to), elsewhere: sourcesIn(app, elsewhere, from, to) });
    const failureKinds: Record<string, number> = {};
    for (const f of app.failures) {
      const kind = f.timedOut ? 'store timeout' : String((f.error as Error | undefined)?.message ?? f.error);
      failureKinds[kind] = (failureKinds[kind] ?? 0) + 1;
    }
    const report = {
      msAfterKill: { failed: since(failedAt), promoted: since(promotedAt), backOnPrimary: since(backAt) },
      latency: {
        all: stats(samples),
        onVictimDuringOutage: stats(samples.filter((s) => onVictim.includes(s.tenant) && s.sentAt >= killedAt && s.sentAt < promotedAt)),
      },
      loopDelayMaxMs,
      sources: {
        beforeKill: window(startedAt, killedAt),
        killToPromotion: window(killedAt, promotedAt),
        promotionToBound: window(promotedAt, promotedAt + BACK_ON_PRIMARY_MS),
        afterBound: window(promotedAt + BACK_ON_PRIMARY_MS, stoppedAt),
      },
      breaker: app.transitions.map((t) => `${since(t.perfAt)} ms ${t.from} -> ${t.to} (${t.reason})`),
      failureKinds,
    };
    console.info('[cluster-failover]', JSON.stringify(report));

    // No 5xx, no dropped connection, no hang: only limiter answers, within the store timeout
    // plus slack (as in faults.int.test.ts).
    expect(failedResponses(samples)).toEqual([]);
    expect(samples.filter((s) => s.status !== 200 && s.status !== 429)).toEqual([]);
    expectBoundedLatency(samples, { latency: report.latency, loopDelayMaxMs });

    // While the slot had no master, its tenants were decided by the fallback, never by Redis.
    // (50 ms after the kill: a reply already on the wire may still land; 25 ms before the last
    // query that showed no promotion: gossip takes a moment to reach the node asked.)
    const outage = sourcesIn(app, onVictim, killedAt + 50, stillOwnedAt - 25);
    expect(Object.keys(outage)).toEqual(['fallback']);
    expect(outage.fallback).toBeGreaterThan(20);

    // Back on Redis within 2 s of the promotion, and staying there: from then on every decision
    // for every tenant comes from Redis, and the breaker is closed.
    expect(backAt - promotedAt).toBeLessThanOrEqual(BACK_ON_PRIMARY_MS);
    const settled = report.sources.afterBound;
    expect(Object.keys(settled.onVictim)).toEqual(['primary']);
    expect(Object.keys(settled.elsewhere)).toEqual(['primary']);
    expect(settled.onVictim.primary).toBeGreaterThan(50);
    expect(settled.elsewhere.primary).toBeGreaterThan(50);
    expect(app.limiter.manager.breaker.state).toBe('closed');

    // The override held throughout (the fallback applies it too), and Redis decides under it again.
    const underOverride = app.decisions.filter((d) => d.tenantId === overridden);
    expect(new Set(underOverride.map((d) => d.limit))).toEqual(new Set([OVERRIDE.burstSize]));
    expect(underOverride.at(-1)).toMatchObject({ source: 'primary', limit: OVERRIDE.burstSize });
    // It survived in Redis itself, not only in this instance's memory: a new instance loads it
    // from the promoted replica.
    fresh = await startInstance(cluster.startupNodes, {
      keyPrefix: 'aurum:rl:',
      manager: { leasing: false, tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] },
    });
    expect(fresh.manager.getTenantOverride(overridden)).toEqual(OVERRIDE);
    expect(await fresh.manager.checkRateLimit(overridden, '/api/items')).toMatchObject({
      allowed: true,
      metadata: { source: 'primary', limit: OVERRIDE.burstSize },
    });
    expect(fresh.failures).toEqual([]);
  }, 30_000);
});
