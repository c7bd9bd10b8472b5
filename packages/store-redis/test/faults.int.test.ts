/**
 * Real faults under real HTTP traffic: a redis-server killed with SIGKILL, restarted on the same
 * port, and frozen with SIGSTOP, while a node:http app on the core's HttpRateLimiter keeps
 * answering. Timeouts are small (store 50 ms; breaker: half of at least 3 calls in its 1 s window
 * failed, probe after 500 ms) so each test runs in a few seconds.
 */
import { performance } from 'node:perf_hooks';
import type { HealthReport } from '@aurum/ratelimit-core';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  closeAllApps,
  driveUntil,
  LATENCY_MARGIN_MS,
  MAX_RECONNECT_DELAY_MS,
  RESET_TIMEOUT_MS,
  runLoad,
  type Sample,
  sleep,
  STORE_TIMEOUT_MS,
  startApp,
  stats,
  type TestApp,
  withLoopDelay,
} from './support/http-app.js';

/** Every response must arrive within the store timeout plus scheduling slack. */
const LATENCY_BOUND_MS = STORE_TIMEOUT_MS + LATENCY_MARGIN_MS;

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

    let killedAt = 0;
    const health = monitorHealth(app);
    const { result: samples, loopDelayMaxMs } = await withLoopDelay(async () => {
      const load = runLoad(app, { clients: 4, durationMs: 2_000, maxRequests: 20_000, tenant: (i) => `ent-${i}` });
      await sleep(400);
      await server().kill();
      killedAt = performance.now();
      return load;
    });
    await health.stop();

    const afterKill = samples.filter((s) => s.sentAt >= killedAt);
    const summary = { all: stats(samples), afterKill: stats(afterKill), loopDelayMaxMs, failures: breaker.totalFailures, failuresAtOpen };
    console.info('[faults] SIGKILL under load:', JSON.stringify(summary));

    // The loop really ran on both sides of the kill.
    expect(samples.length - afterKill.length).toBeGreaterThan(20);
    expect(afterKill.length).toBeGreaterThan(100);
    // No 5xx, no dropped connection, and only limiter answers (200 or 429).
    expect(failedResponses(samples)).toEqual([]);
    expect(samples.filter((s) => s.status !== 200 && s.status !== 429)).toEqual([]);
    expect(summary.all.max, JSON.stringify(summary)).toBeLessThanOrEqual(LATENCY_BOUND_MS);

    // The breaker opened on failures after the kill, within one sliding window (the successes
    // from before the kill age out of it by then), and the admin API reported it.
    const opened = app.transitions.find((t) => t.to === 'open');
    expect(opened).toMatchObject({ from: 'closed', reason: 'failures' });
    expect(opened?.perfAt).toBeGreaterThanOrEqual(killedAt);
    expect((opened?.perfAt ?? Number.POSITIVE_INFINITY) - killedAt).toBeLessThanOrEqual(breaker.slidingWindowMs);
    expect(health.reports.some((r) => r.at > killedAt && r.circuitBreaker === 'open' && r.status === 'degraded')).toBe(true);
    // Open means Redis is left alone: after it opened, only the calls in flight then and one probe
    // per reset timeout reach it (hundreds would without the breaker).
    const probes = Math.ceil(2_000 / RESET_TIMEOUT_MS) + 1;
    expect(breaker.totalFailures - (failuresAtOpen ?? 0)).toBeLessThanOrEqual(2 * 4 + 2 * probes);
    // Decisions after the kill came from the in-memory fallback.
    expect(app.decisions.filter((d) => d.source === 'fallback').length).toBeGreaterThan(50);

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
    expect(stats(hog).max).toBeLessThanOrEqual(LATENCY_BOUND_MS);
  }, 20_000);
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

    const before = app.decisions.length;
    const after = await runLoad(app, { clients: 2, durationMs: 2_000, maxRequests: 40, tenant: (i) => `ent-after-${i}` });
    expect(after.map((s) => s.status)).toEqual(after.map(() => 200));
    expect(new Set(app.decisions.slice(before).map((d) => d.source))).toEqual(new Set(['primary']));
    expect(await app.adminHealth()).toMatchObject({ status: 'ok', circuitBreaker: 'closed', consecutiveFailures: 0 });
    // The new server holds the buckets again (a free tenant's bucket lives ~2 s; an enterprise one only ms).
    expect((await app.get('free-after')).status).toBe(200);
    expect(Number(await server().cli('PTTL', 'aurum:rl:{free-after}:b'))).toBeGreaterThan(0);
  }, 20_000);
});

describe('Redis frozen with SIGSTOP under a steady request loop', () => {
  it('keeps answering within the store timeout without a 5xx, then recovers to CLOSED and primary after SIGCONT', async () => {
    const app = await startApp({ redisUrl: server().url });
    await warmUp(app, ['ent-0', 'ent-1', 'ent-2', 'ent-3']);

    let pausedAt = 0;
    let resumedAt = 0;
    const { result: samples, loopDelayMaxMs } = await withLoopDelay(async () => {
      const load = runLoad(app, { clients: 4, durationMs: 3_000, maxRequests: 30_000, tenant: (i) => `ent-${i}` });
      await sleep(400);
      server().pause();
      pausedAt = performance.now();
      await sleep(2_000);
      server().resume();
      resumedAt = performance.now();
      return load;
    });

    const frozen = samples.filter((s) => s.sentAt >= pausedAt && s.sentAt < resumedAt);
    const summary = { all: stats(samples), frozen: stats(frozen), loopDelayMaxMs, failures: app.limiter.manager.breaker.totalFailures };
    console.info('[faults] SIGSTOP under load:', JSON.stringify(summary));

    expect(frozen.length).toBeGreaterThan(100);
    expect(failedResponses(samples)).toEqual([]);
    expect(samples.filter((s) => s.status !== 200 && s.status !== 429)).toEqual([]);
    expect(summary.all.max, JSON.stringify(summary)).toBeLessThanOrEqual(LATENCY_BOUND_MS);
    // Timeouts opened the breaker; the failures reported were timeouts, not errors.
    const opened = app.transitions.find((t) => t.to === 'open');
    expect(opened).toMatchObject({ from: 'closed', reason: 'failures' });
    expect(opened?.perfAt).toBeGreaterThanOrEqual(pausedAt);
    expect(app.failures.length).toBeGreaterThan(0);
    expect(app.failures.every((f) => f.timedOut)).toBe(true);
    expect(app.decisions.filter((d) => d.at >= pausedAt && d.at < resumedAt && d.source === 'fallback').length).toBeGreaterThan(50);

    // After SIGCONT the next probe (at most one reset timeout later) closes the breaker.
    await driveUntil(app, 'ent-0', onPrimary(app, 'ent-0'), 3_000, 'the breaker to close after SIGCONT');
    const closed = app.transitions.find((t) => t.to === 'closed' && t.perfAt >= resumedAt);
    expect(closed).toMatchObject({ from: 'half_open', reason: 'probe_succeeded' });
    const recoveryMs = (closed?.perfAt ?? Number.POSITIVE_INFINITY) - resumedAt;
    console.info(`[faults] SIGCONT: breaker closed ${Math.round(recoveryMs)} ms after resume (budget ${RESET_TIMEOUT_MS + 500} ms)`);
    expect(recoveryMs).toBeLessThanOrEqual(RESET_TIMEOUT_MS + 500);

    const before = app.decisions.length;
    const after = await runLoad(app, { clients: 2, durationMs: 2_000, maxRequests: 40, tenant: (i) => `ent-${i}` });
    expect(after.map((s) => s.status)).toEqual(after.map(() => 200));
    expect(new Set(app.decisions.slice(before).map((d) => d.source))).toEqual(new Set(['primary']));
    expect(stats(after).max).toBeLessThanOrEqual(LATENCY_BOUND_MS);
  }, 20_000);
});
