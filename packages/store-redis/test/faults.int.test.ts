/**
 * Real faults under real HTTP traffic: a redis-server killed with SIGKILL, restarted on the same
 * port, and frozen with SIGSTOP, while a node:http app on the core's HttpRateLimiter keeps
 * answering. Timeouts are small (store 50 ms; breaker: half of at least 3 calls in its 1 s window
 * failed, probe after 500 ms) so each test runs in a few seconds.
 *
 * The phases follow events, not fixed sleeps: traffic reaches Redis before the fault, the fault
 * lasts until the breaker has opened and a probe has failed, and the load stops once the breaker
 * has closed again. Latency is judged by expectBoundedLatency (median and p99 near the store
 * timeout, a generous max that still catches a request left to the client's 2 s command timeout);
 * the rest by the order of events: which decisions came from where after the breaker opened,
 * and that the failures were store timeouts.
 */
import { performance } from 'node:perf_hooks';
import type { HealthReport } from '@aurum/ratelimit-core';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeAllApps,
  driveUntil,
  expectBoundedLatency,
  expectOnRedis,
  LATENCY_MARGIN_MS,
  MAX_RECONNECT_DELAY_MS,
  mark,
  RESET_TIMEOUT_MS,
  runLoad,
  type Sample,
  sleep,
  startApp,
  stats,
  type TestApp,
  waitUntil,
  withLoopDelay,
} from './support/http-app.js';

/** A deadline for each phase of a test (generous: the machine is shared), never an expected duration. */
const PHASE_LIMIT_MS = 5_000;
/** Upper bound of a load loop that the test stops itself (by an AbortSignal) when its phases are done. */
const LOAD_LIMIT_MS = 20_000;

let redis: RedisServer | undefined;

beforeEach(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  // Redis first: a frozen server would make QUIT wait for the command timeout.
  await redis?.stop();
  redis = undefined;
  await closeAllApps();
});

const server = () => redis as RedisServer;

const failedResponses = (samples: readonly Sample[]) => samples.filter((s) => s.status >= 500 || s.status === 0);

/** The breaker is closed and the latest decision for `tenant` came from Redis. */
const onPrimary = (app: TestApp, tenant: string) => () =>
  app.limiter.manager.breaker.state === 'closed' && app.decisions.findLast((d) => d.tenantId === tenant)?.source === 'primary';

/** Waits until `count` more decisions have come from Redis (the loop is really running on it). */
async function trafficOnRedis(app: TestApp, count: number): Promise<void> {
  const from = app.decisions.length;
  await waitUntil(() => app.decisions.slice(from).filter((d) => d.source === 'primary').length >= count, PHASE_LIMIT_MS, `${count} decisions from Redis`);
}

const since = (app: TestApp, at: number) => app.transitions.filter((t) => t.perfAt >= at);

async function warmUp(app: TestApp, tenants: string[]): Promise<void> {
  for (const t of tenants) expect((await app.get(t)).status).toBe(200);
  expect(app.decisions.map((d) => d.source)).toEqual(tenants.map(() => 'primary'));
}

/** Polls the admin health endpoint every 50 ms until `stop()` is called. */
function monitorHealth(app: TestApp): { readonly reports: Array<HealthReport & { at: number }>; stop(): Promise<void> } {
  const reports: Array<HealthReport & { at: number }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      reports.push({ ...(await app.adminHealth()), at: performance.now() });
      await sleep(50);
    }
  })();
  return {
    reports,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe('Redis killed with SIGKILL under a steady request loop', () => {
  it('answers every request without a 5xx within the store timeout, opens the breaker, and the fallback still enforces limits', async () => {
    const app = await startApp({ redisUrl: server().url });
    await warmUp(app, ['ent-0', 'ent-1', 'ent-2', 'ent-3']);
    const breaker = app.limiter.manager.breaker;
    let failuresAtOpen: number | undefined;
    breaker.onStateChange((change) => {
      if (change.to === 'open') failuresAtOpen ??= breaker.totalFailures;
    });

    const clients = 4;
    let killedAt = 0;
    let openedAt = 0;
    const stop = new AbortController();
    const health = monitorHealth(app);
    const { result: samples, loopDelayMaxMs } = await withLoopDelay(async () => {
      const load = runLoad(app, { clients, durationMs: LOAD_LIMIT_MS, maxRequests: 50_000, tenant: (i) => `ent-${i}`, signal: stop.signal });
      try {
        await trafficOnRedis(app, 100);
        await server().kill();
        killedAt = performance.now();
        openedAt = await waitUntil(() => since(app, killedAt).some((t) => t.to === 'open'), PHASE_LIMIT_MS, 'the breaker to open on the dead Redis');
        // Open under the same traffic until two probes have failed (each after a reset timeout)
        // and the admin API has reported it.
        await waitUntil(
          () =>
            since(app, openedAt).filter((t) => t.reason === 'probe_failed').length >= 2 &&
            health.reports.some((r) => r.at > openedAt && r.circuitBreaker === 'open'),
          PHASE_LIMIT_MS,
          'two failed probes of the dead Redis',
        );
      } finally {
        stop.abort();
      }
      return load;
    });
    const stoppedAt = performance.now();
    await health.stop();

    const afterKill = samples.filter((s) => s.sentAt >= killedAt);
    const summary = { all: stats(samples), afterKill: stats(afterKill), loopDelayMaxMs, failures: breaker.totalFailures, failuresAtOpen };
    console.info('[faults] SIGKILL under load:', JSON.stringify(summary));

    // The loop really ran after the kill.
    expect(afterKill.length).toBeGreaterThan(100);
    // No 5xx, no dropped connection, and only limiter answers (200 or 429), none held long.
    expect(failedResponses(samples)).toEqual([]);
    expect(samples.filter((s) => s.status !== 200 && s.status !== 429)).toEqual([]);
    expectBoundedLatency(samples, summary);

    // The breaker opened on failures after the kill, within one sliding window (the successes
    // from before the kill have aged out of it by then; plus slack for the next calls to fail),
    // and the admin API reported it.
    const opened = since(app, killedAt)[0];
    expect(opened).toMatchObject({ from: 'closed', to: 'open', reason: 'failures' });
    expect(openedAt - killedAt).toBeLessThanOrEqual(breaker.slidingWindowMs + LATENCY_MARGIN_MS);
    expect(health.reports.some((r) => r.at > killedAt && r.circuitBreaker === 'open' && r.status === 'degraded')).toBe(true);
    // Open means Redis is left alone: after it opened, only the calls in flight then (a decision
    // and a release per client) and the probes (one per reset timeout, each a decision and maybe
    // a release) reached it. Hundreds would without the breaker.
    const probes = since(app, openedAt).filter((t) => t.to === 'half_open').length;
    expect(probes).toBeGreaterThanOrEqual(2);
    expect(probes).toBeLessThanOrEqual(Math.ceil((stoppedAt - openedAt) / RESET_TIMEOUT_MS));
    expect(breaker.totalFailures - (failuresAtOpen ?? 0)).toBeLessThanOrEqual(2 * clients + 2 * probes);
    // Every decision once it was open came from the in-memory fallback.
    const whileOpen = app.decisions.filter((d) => d.at > openedAt);
    expect(whileOpen.length).toBeGreaterThan(50);
    expect(new Set(whileOpen.map((d) => d.source))).toEqual(new Set(['fallback']));

    // Conservative, not open: a free tenant (burst 10, 5/s) past its burst is refused by the fallback.
    const hog: Sample[] = [];
    const hogStarted = performance.now();
    for (let i = 0; i < 25; i++) hog.push(await app.get('hog-1'));
    const hogSeconds = (performance.now() - hogStarted) / 1000;
    const admitted = hog.filter((s) => s.status === 200).length;
    expect(hog.filter((s) => s.status !== 200 && s.status !== 429)).toEqual([]);
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(10 + Math.ceil(5 * hogSeconds) + 1);
    const denied = hog.find((s) => s.status === 429);
    expect(JSON.parse(denied?.body ?? '{}')).toMatchObject({ error: { type: 'https://aurum.api/errors/rate_limit_exceeded' } });
    const hogSources = new Set(app.decisions.filter((d) => d.tenantId === 'hog-1').map((d) => d.source));
    expect([...hogSources]).toEqual(['fallback']);
    expectBoundedLatency(hog, { hog: true });
  }, 30_000);
});

describe('Redis restarted on the same port', () => {
  it('closes the breaker within the reset timeout plus one probe (and the reconnect backoff), with decisions from Redis again', async () => {
    const app = await startApp({ redisUrl: server().url });
    await warmUp(app, ['ent-r']);
    const breaker = app.limiter.manager.breaker;

    await server().kill();
    await driveUntil(app, 'ent-r', () => breaker.state === 'open', 2_000, 'the breaker to open');
    // Down for a while, under light traffic, so the client is well into its reconnect backoff.
    const down = await runLoad(app, { clients: 1, durationMs: 1_000, maxRequests: 200, tenant: () => 'ent-r', gapMs: 20 });
    expect(failedResponses(down)).toEqual([]);

    await server().restart();
    const budget = MAX_RECONNECT_DELAY_MS + RESET_TIMEOUT_MS + 500;
    const recoveryMs = await driveUntil(app, 'ent-r', onPrimary(app, 'ent-r'), budget + 1_000, 'the breaker to close on the restarted Redis');
    console.info(
      `[faults] restart: breaker closed and decisions on primary ${Math.round(recoveryMs)} ms after redis-server answered PING (budget ${budget} ms)`,
    );
    expect(recoveryMs).toBeLessThanOrEqual(budget);
    expect(app.transitions.at(-1)).toMatchObject({ from: 'half_open', to: 'closed', reason: 'probe_succeeded' });

    const before = mark(app);
    const after = await runLoad(app, { clients: 2, durationMs: 2_000, maxRequests: 40, tenant: (i) => `ent-after-${i}` });
    expect(after.map((s) => s.status)).toEqual(after.map(() => 200));
    expectOnRedis(app, before, 30);
    expect(await app.adminHealth()).toMatchObject({ status: 'ok', circuitBreaker: 'closed', consecutiveFailures: 0 });
    // The new server holds the buckets again. A bucket lives until it is full again: ~2 s for a
    // free tenant that used its burst of 10 (200 ms per token), asked at once over the app's own
    // connection (spawning redis-cli may take longer than that on a busy machine).
    const freeBefore = mark(app);
    for (let i = 0; i < 10; i++) expect((await app.get('free-after')).status).toBe(200);
    expectOnRedis(app, freeBefore, 5);
    expect(await (app.client as Redis).pttl('aurum:rl:{free-after}:b')).toBeGreaterThan(0);
  }, 20_000);
});

describe('Redis frozen with SIGSTOP under a steady request loop', () => {
  it('keeps answering within the store timeout without a 5xx, then recovers to CLOSED and primary after SIGCONT', async () => {
    const app = await startApp({ redisUrl: server().url });
    await warmUp(app, ['ent-0', 'ent-1', 'ent-2', 'ent-3']);

    let pausedAt = 0;
    let openedAt = 0;
    let resumedAt = 0;
    let closedAt = 0;
    const stop = new AbortController();
    const { result: samples, loopDelayMaxMs } = await withLoopDelay(async () => {
      const load = runLoad(app, { clients: 4, durationMs: LOAD_LIMIT_MS, maxRequests: 50_000, tenant: (i) => `ent-${i}`, signal: stop.signal });
      try {
        await trafficOnRedis(app, 100);
        server().pause();
        pausedAt = performance.now();
        // Frozen: only store timeouts can open the breaker (the connection stays up).
        openedAt = await waitUntil(() => since(app, pausedAt).some((t) => t.to === 'open'), PHASE_LIMIT_MS, 'the breaker to open on the frozen Redis');
        // Still frozen: the next probe (a reset timeout later) times out as well.
        await waitUntil(() => since(app, openedAt).some((t) => t.reason === 'probe_failed'), PHASE_LIMIT_MS, 'a probe of the frozen Redis to fail');
        server().resume();
        resumedAt = performance.now();
        // Thawed: the next probe closes the breaker, and the loop is decided on Redis again.
        closedAt = await waitUntil(onPrimary(app, 'ent-0'), PHASE_LIMIT_MS, 'the breaker to close after SIGCONT');
      } finally {
        stop.abort();
      }
      return load;
    });

    const frozen = samples.filter((s) => s.sentAt >= pausedAt && s.sentAt < resumedAt);
    const summary = { all: stats(samples), frozen: stats(frozen), loopDelayMaxMs, failures: app.limiter.manager.breaker.totalFailures };
    console.info('[faults] SIGSTOP under load:', JSON.stringify(summary));

    expect(frozen.length).toBeGreaterThan(100);
    expect(failedResponses(samples)).toEqual([]);
    expect(samples.filter((s) => s.status !== 200 && s.status !== 429)).toEqual([]);
    // Nothing waited on the frozen Redis beyond the store timeout (the client's own command
    // timeout is 2 s): neither the calls that opened the breaker nor the probe.
    expectBoundedLatency(frozen, summary);
    expectBoundedLatency(samples, summary);
    // Store timeouts opened the breaker while Redis was frozen, and timed out the probe too;
    // every failure reported was a timeout, not an error.
    expect(since(app, pausedAt).slice(0, 3)).toMatchObject([
      { from: 'closed', to: 'open', reason: 'failures' },
      { from: 'open', to: 'half_open', reason: 'reset_timeout' },
      { from: 'half_open', to: 'open', reason: 'probe_failed' },
    ]);
    expect(app.failures.length).toBeGreaterThan(0);
    expect(app.failures.filter((f) => !f.timedOut)).toEqual([]);
    // Once open, every decision until SIGCONT came from the fallback, promptly.
    const whileOpen = app.decisions.filter((d) => d.at > openedAt && d.at < resumedAt);
    expect(whileOpen.length).toBeGreaterThan(50);
    expect(new Set(whileOpen.map((d) => d.source))).toEqual(new Set(['fallback']));

    // After SIGCONT the next probe closes the breaker: at most one reset timeout later, plus
    // one more for each probe that still failed (Redis working through its backlog).
    const afterResume = since(app, resumedAt);
    expect(afterResume.at(-1)).toMatchObject({ from: 'half_open', to: 'closed', reason: 'probe_succeeded' });
    const failedProbes = afterResume.filter((t) => t.reason === 'probe_failed').length;
    expect(failedProbes).toBeLessThanOrEqual(1);
    const recoveryMs = closedAt - resumedAt;
    const budget = (1 + failedProbes) * RESET_TIMEOUT_MS + LATENCY_MARGIN_MS;
    console.info(`[faults] SIGCONT: breaker closed ${Math.round(recoveryMs)} ms after resume (budget ${budget} ms)`);
    expect(recoveryMs).toBeLessThanOrEqual(budget);

    const before = mark(app);
    const after = await runLoad(app, { clients: 2, durationMs: 2_000, maxRequests: 40, tenant: (i) => `ent-${i}` });
    expect(after.map((s) => s.status)).toEqual(after.map(() => 200));
    expectOnRedis(app, before, 30);
    expectBoundedLatency(after, { after: true });
  }, 30_000);
});
