/**
 * A flapping Redis (killed and restarted again and again under traffic) must not leave timers,
 * queued commands, listeners or memory behind once it is back.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeAllApps, driveUntil, MAX_RECONNECT_DELAY_MS, RESET_TIMEOUT_MS, runLoad, type Sample, sleep, startApp, type TestApp } from './support/http-app.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let redis: RedisServer | undefined;

beforeEach(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  await redis?.stop();
  redis = undefined;
  await closeAllApps();
});

const server = () => redis as RedisServer;

interface ClientInternals {
  commandQueue: { length: number };
  offlineQueue: { length: number };
  _autoPipelines: Map<unknown, unknown>;
  _runningAutoPipelines: Set<unknown>;
}

/** Ref'ed timers of this process (`Timeout` entries; unref'ed ones are not listed). */
const activeTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

const LISTENED = ['error', 'close', 'end', 'ready', 'connect', 'reconnecting'] as const;
const listenerCounts = (app: TestApp) => Object.fromEntries(LISTENED.map((e) => [e, app.client.listenerCount(e)]));

/** Once Redis is back: idle until no command is queued anywhere, then a little more for timers to fire. */
async function settle(app: TestApp): Promise<void> {
  const client = app.client as unknown as ClientInternals;
  const deadline = performance.now() + 3_000;
  while (client.commandQueue.length + client.offlineQueue.length + client._runningAutoPipelines.size > 0 && performance.now() < deadline) await sleep(10);
  // Longer than every timer a request arms (store timeout 50 ms, fleet flush 1 s).
  await sleep(1_200);
}

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** One flap: kill under traffic, stay down a little, restart, drive traffic until the breaker has closed on Redis. */
async function flap(app: TestApp, downMs: number): Promise<{ samples: Sample[]; recoveryMs: number }> {
  const load = runLoad(app, { clients: 2, durationMs: downMs + 200, maxRequests: 2_000, tenant: (i) => `ent-flap-${i}`, gapMs: 2 });
  await sleep(100);
  await server().kill();
  await sleep(downMs);
  await server().restart();
  const samples = await load;
  const recoveryMs = await driveUntil(
    app,
    'ent-flap-0',
    () => app.limiter.manager.breaker.state === 'closed' && app.decisions.at(-1)?.source === 'primary',
    MAX_RECONNECT_DELAY_MS + RESET_TIMEOUT_MS + 2_000,
    'recovery after a flap',
  );
  return { samples, recoveryMs };
}

describe('a flapping Redis', () => {
  it('leaks no timers, queued commands, listeners or memory across kill/restart cycles', async () => {
    const app = await startApp({ redisUrl: server().url });
    const client = app.client as unknown as ClientInternals;
    // One full cycle first, so one-time allocations (JIT, lazily built structures) are in the baseline.
    await flap(app, 300);
    await settle(app);
    const timeoutsBefore = activeTimeouts();
    const listenersBefore = listenerCounts(app);
    const heapBefore = heapAfterGc();

    const cycles = 5;
    const samples: Sample[] = [];
    const recoveries: number[] = [];
    for (let i = 0; i < cycles; i++) {
      const result = await flap(app, 200 + 100 * i);
      samples.push(...result.samples);
      recoveries.push(Math.round(result.recoveryMs));
    }
    await settle(app);
    const timeoutsAfter = activeTimeouts();
    const heapAfter = heapAfterGc();
    const summary = {
      requests: samples.length,
      recoveriesMs: recoveries,
      timeouts: [timeoutsBefore, timeoutsAfter],
      heapGrowthKb: Math.round((heapAfter - heapBefore) / 1024),
      queues: { command: client.commandQueue.length, offline: client.offlineQueue.length, autoPipelines: client._autoPipelines.size },
      breakerFailures: app.limiter.manager.breaker.totalFailures,
    };
    console.info('[flapping]', JSON.stringify(summary));

    expect(samples.length).toBeGreaterThan(200);
    expect(samples.filter((s) => s.status >= 500 || s.status === 0)).toEqual([]);
    // Every cycle opened and closed the breaker again (two transitions to open at least per cycle is not required:
    // a short outage may open it once).
    expect(app.transitions.filter((t) => t.to === 'closed' && t.reason === 'probe_succeeded').length).toBeGreaterThanOrEqual(cycles + 1);
    // Nothing left behind by timeouts, reconnects or probes.
    expect(timeoutsAfter, JSON.stringify(summary)).toBeLessThanOrEqual(timeoutsBefore + 2);
    expect(client.commandQueue.length).toBeLessThanOrEqual(2);
    expect(client.offlineQueue.length).toBe(0);
    expect(client._runningAutoPipelines.size).toBe(0);
    expect(listenerCounts(app)).toEqual(listenersBefore);
    // Memory: the fallback and the blocked-until cache are bounded; 5 cycles must not add megabytes.
    expect(heapAfter - heapBefore, JSON.stringify(summary)).toBeLessThan(8 * 1024 * 1024);
    // And the app is fully back: decisions from Redis, no failures.
    const before = app.decisions.length;
    const after = await runLoad(app, { clients: 2, durationMs: 2_000, maxRequests: 40, tenant: (i) => `ent-flap-${i}` });
    expect(after.map((s) => s.status)).toEqual(after.map(() => 200));
    expect(new Set(app.decisions.slice(before).map((d) => d.source))).toEqual(new Set(['primary']));
  }, 30_000);
});
