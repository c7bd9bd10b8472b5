/**
 * A flapping Redis (killed and restarted again and again under traffic) must not leave timers,
 * commands, sockets, listeners or memory behind once it is back. Observed through public means
 * only: the client's listener counts and status, commands seen through its public sendCommand,
 * the process's active handles (process.getActiveResourcesInfo) and the heap after GC.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import type { Command, Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeAllApps,
  driveUntil,
  expectOnRedis,
  MAX_RECONNECT_DELAY_MS,
  mark,
  RESET_TIMEOUT_MS,
  runLoad,
  type Sample,
  sleep,
  startApp,
  type TestApp,
} from './support/http-app.js';

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

/**
 * Counts the client's commands that have not settled, through its public `sendCommand` (every
 * command method, and ioredis's own resends, go through it). A command left in any of the
 * client's queues never settles, so it stays counted.
 */
function trackCommands(client: Redis): { readonly pending: () => number; readonly sent: () => number } {
  let pending = 0;
  let sent = 0;
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command: Command, stream?: Parameters<Redis['sendCommand']>[1]) => {
    pending++;
    sent++;
    const settled = () => {
      pending--;
    };
    command.promise.then(settled, settled);
    return send(command, stream);
  };
  return { pending: () => pending, sent: () => sent };
}

/** This process's active handles and requests by type (ref'ed timers are `Timeout`; unref'ed ones are not listed). */
function activeResources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/** Resource types a leak would grow: timers, sockets (a client connection per reconnect) and child processes. */
const WATCHED = ['Timeout', 'TCPSocketWrap', 'TCPServerWrap', 'ProcessWrap'] as const;
const watched = (resources: Record<string, number>) => Object.fromEntries(WATCHED.map((t) => [t, resources[t] ?? 0]));
const within = (now: Record<string, number>, limit: Record<string, number>) => WATCHED.every((t) => (now[t] ?? 0) <= (limit[t] ?? 0));

const LISTENED = ['error', 'close', 'end', 'ready', 'connect', 'reconnecting', 'wait'] as const;
const listenerCounts = (app: TestApp) => Object.fromEntries(LISTENED.map((e) => [e, app.client.listenerCount(e)]));

/**
 * Once Redis is back: polls (deadline 3 s, then the assertions tell) until the client is ready,
 * no command is unsettled and the watched resources are back within `limit`. Without a limit,
 * until they have stopped changing for 300 ms: every timer a request arms (store timeout 50 ms,
 * the client's command timeout, fleet flush 1 s) has fired or been cleared by then.
 */
async function settle(app: TestApp, commands: { pending: () => number }, limit?: Record<string, number>): Promise<void> {
  const deadline = performance.now() + 3_000;
  const quiet = () => app.client.status === 'ready' && commands.pending() === 0;
  while (!quiet() && performance.now() < deadline) await sleep(10);
  if (limit) {
    while (!(quiet() && within(watched(activeResources()), limit)) && performance.now() < deadline) await sleep(10);
    return;
  }
  let last = watched(activeResources());
  let stableSince = performance.now();
  while (performance.now() < deadline && performance.now() - stableSince < 300) {
    await sleep(10);
    const now = watched(activeResources());
    if (!within(last, now) || !within(now, last)) {
      last = now;
      stableSince = performance.now();
    }
  }
}

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** One flap: kill under traffic, stay down a little, restart, drive traffic until the breaker has closed on Redis. */
async function flap(app: TestApp, downMs: number, onRedis: readonly string[]): Promise<{ samples: Sample[]; recoveryMs: number }> {
  const load = runLoad(app, { clients: 2, durationMs: downMs + 200, maxRequests: 2_000, tenant: (i) => `ent-flap-${i}`, gapMs: 2 });
  await sleep(100);
  await server().kill();
  await sleep(downMs);
  await server().restart();
  const samples = await load;
  const recoveryMs = await driveUntil(
    app,
    'ent-flap-0',
    () => app.limiter.manager.breaker.state === 'closed' && onRedis.includes(app.decisions.at(-1)?.source ?? ''),
    MAX_RECONNECT_DELAY_MS + RESET_TIMEOUT_MS + 2_000,
    'recovery after a flap',
  );
  return { samples, recoveryMs };
}

// Twice: as the tenants' tiers are (below leasing's minRate), and with the same tenants leased
// (tokens taken in batches, unspent ones refunded by a sweep: to a dead Redis too).
const VARIANTS: ReadonlyArray<{ name: string; limiter: { leasing?: { minRate: number; threshold: number } }; onRedis: readonly string[] }> = [
  { name: 'decided per request', limiter: {}, onRedis: ['primary'] },
  { name: 'leased (quota leasing on)', limiter: { leasing: { minRate: 10, threshold: 20 } }, onRedis: ['primary', 'lease'] },
];

describe.each(VARIANTS)('a flapping Redis, tenants $name', ({ limiter, onRedis }) => {
  it('leaks no timers, commands, sockets, listeners or memory across kill/restart cycles', async () => {
    const app = await startApp({ redisUrl: server().url, limiter });
    const commands = trackCommands(app.client as Redis);
    // One full cycle first, so one-time allocations (JIT, lazily built structures) are in the baseline.
    await flap(app, 300, onRedis);
    await settle(app, commands);
    const resourcesBefore = watched(activeResources());
    const listenersBefore = listenerCounts(app);
    const heapBefore = heapAfterGc();
    const sentBefore = commands.sent();
    const decisionsBefore = app.decisions.length;

    const cycles = 5;
    const samples: Sample[] = [];
    const recoveries: number[] = [];
    for (let i = 0; i < cycles; i++) {
      const result = await flap(app, 200 + 100 * i, onRedis);
      samples.push(...result.samples);
      recoveries.push(Math.round(result.recoveryMs));
    }
    await settle(app, commands, resourcesBefore);
    const resourcesAfter = watched(activeResources());
    const heapAfter = heapAfterGc();
    const primaryDecisions = app.decisions.slice(decisionsBefore).filter((d) => d.source === 'primary').length;
    const summary = {
      requests: samples.length,
      recoveriesMs: recoveries,
      resources: { before: resourcesBefore, after: resourcesAfter },
      commands: { sent: commands.sent() - sentBefore, unsettled: commands.pending(), primaryDecisions },
      listeners: { before: listenersBefore, after: listenerCounts(app) },
      heapGrowthKb: Math.round((heapAfter - heapBefore) / 1024),
      breakerFailures: app.limiter.manager.breaker.totalFailures,
    };
    console.info('[flapping]', JSON.stringify(summary));

    expect(samples.length).toBeGreaterThan(200);
    expect(samples.filter((s) => s.status >= 500 || s.status === 0)).toEqual([]);
    // Every cycle closed the breaker again by a probe (a short outage may open it only once).
    expect(app.transitions.filter((t) => t.to === 'closed' && t.reason === 'probe_succeeded').length).toBeGreaterThanOrEqual(cycles + 1);
    // The client is connected, and nothing was left behind by timeouts, reconnects or probes:
    // no command unsettled (the tracker saw the traffic), no extra timer, socket or process,
    // no listener added per reconnect.
    expect(app.client.status).toBe('ready');
    // (The tracker saw the traffic: at least one command per decision made on Redis.)
    expect(commands.sent() - sentBefore, JSON.stringify(summary)).toBeGreaterThanOrEqual(primaryDecisions);
    expect(commands.pending(), JSON.stringify(summary)).toBe(0);
    // Nothing stuck in the connection's pipeline either (a command the client has timed out
    // waits there for its reply): replies come in order, so a PING answers only behind them.
    expect(await (app.client as Redis).ping()).toBe('PONG');
    // No more than before (fewer is fine: the baseline may catch a timer of the last cycle, such
    // as a lease's refund to the dead Redis waiting out the client's command timeout).
    expect(
      WATCHED.filter((t) => (resourcesAfter[t] ?? 0) > (resourcesBefore[t] ?? 0)),
      JSON.stringify(summary),
    ).toEqual([]);
    expect(listenerCounts(app), JSON.stringify(summary)).toEqual(listenersBefore);
    // Memory: the fallback and the blocked-until cache are bounded; 5 cycles must not add megabytes.
    expect(heapAfter - heapBefore, JSON.stringify(summary)).toBeLessThan(8 * 1024 * 1024);
    // And the app is fully back: decisions from Redis, no failures.
    const before = mark(app);
    const after = await runLoad(app, { clients: 2, durationMs: 2_000, maxRequests: 40, tenant: (i) => `ent-flap-${i}` });
    expect(after.map((s) => s.status)).toEqual(after.map(() => 200));
    expectOnRedis(app, before, 30, onRedis);
    if (onRedis.includes('lease')) expect(app.decisions.slice(before.decisions).some((d) => d.source === 'lease')).toBe(true);
  }, 40_000);
});
