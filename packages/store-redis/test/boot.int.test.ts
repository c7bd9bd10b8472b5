/**
 * Start-up: an app whose Redis is down at boot still starts and limits from memory; an app whose
 * Redis is healthy but still connecting must not hold the cold start against Redis.
 */
import { systemTimers, type Timers } from '@aurum/ratelimit-core/store';
import { freePort, type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeAllApps, driveUntil, expectBoundedLatency, MINIMUM_CALLS, runLoad, type Sample, startApp, type TestApp } from './support/http-app.js';

let redis: RedisServer | undefined;

afterEach(async () => {
  await redis?.stop();
  redis = undefined;
  await closeAllApps();
});

/**
 * The cold-start tests count failures, so their store timeout is 250 ms: a GC pause of this busy
 * process must not pass for a failure, while a call wrongly sent to a still-connecting (or
 * frozen) Redis still shows as one, and two such calls would break the latency bound.
 */
const COLD_START = { storeTimeoutMs: 250 };

const onPrimary = (app: TestApp, tenant: string) => () =>
  app.limiter.manager.breaker.state === 'closed' && app.decisions.findLast((d) => d.tenantId === tenant)?.source === 'primary';

describe('Redis down at boot', () => {
  it('starts, serves 200s and enforces limits from memory, and opens the breaker once minimumCalls calls have failed', async () => {
    const port = await freePort(); // nothing listens there
    const app = await startApp({ redisUrl: `redis://127.0.0.1:${port}`, waitForRedis: false });
    const served: Sample[] = [];
    for (let i = 0; i < 8; i++) served.push(await app.get(`ent-${i % 2}`));
    expect(served.map((s) => s.status)).toEqual(served.map(() => 200));

    await vi.waitFor(async () => expect(await app.adminHealth()).toMatchObject({ circuitBreaker: 'open', status: 'degraded' }), {
      timeout: 2_000,
      interval: 20,
    });
    expect(app.transitions[0]).toMatchObject({ from: 'closed', to: 'open', reason: 'failures' });
    const health = await app.limiter.manager.health();
    expect(health.cacheFailures).toBeGreaterThanOrEqual(MINIMUM_CALLS);
    expect(health.store).toBe('redis');
    // The manager's start-up work (loading fleet-wide overrides waits up to 2 s for a connection)
    // gives up softly instead of hanging, and requests never waited for it.
    await expect(Promise.race([app.limiter.manager.ready.then(() => 'ready'), new Promise((r) => setTimeout(r, 4_000, 'hung'))])).resolves.toBe('ready');

    // Limits hold: a free tenant (burst 10, 5/s) is refused past its burst.
    const hog: Sample[] = [];
    for (let i = 0; i < 20; i++) hog.push(await app.get('boot-hog'));
    const admitted = hog.filter((s) => s.status === 200).length;
    expect(hog.filter((s) => s.status !== 200 && s.status !== 429)).toEqual([]);
    expect(admitted).toBeGreaterThanOrEqual(10);
    expect(admitted).toBeLessThanOrEqual(12);
    expect(new Set(app.decisions.filter((d) => d.tenantId === 'boot-hog').map((d) => d.source))).toEqual(new Set(['fallback']));
    expectBoundedLatency([...served, ...hog]);
  }, 15_000);
});

describe('cold start against a healthy Redis', () => {
  it('requests fired while the first connection is being made do not count as failures', async () => {
    redis = await startRedisServer();
    const app = await startApp({ redisUrl: redis.url, waitForRedis: false, limiter: COLD_START });
    const startingAtFirstRequest = app.store.isStarting();
    const burst = await Promise.all(Array.from({ length: 16 }, (_, i) => app.get(`ent-cold-${i % 4}`)));

    expect(burst.map((s) => s.status)).toEqual(burst.map(() => 200));
    const health = await app.limiter.manager.health();
    expect(health).toMatchObject({ circuitBreaker: 'closed', cacheFailures: 0, consecutiveFailures: 0 });
    expect(app.failures).toEqual([]);
    expect(app.transitions).toEqual([]);
    console.info(`[boot] cold start: starting=${startingAtFirstRequest}, sources ${JSON.stringify(countBy(app.decisions.map((d) => d.source)))}`);

    await driveUntil(app, 'ent-cold-0', onPrimary(app, 'ent-cold-0'), 3_000, 'decisions from Redis');
    expect(await app.limiter.manager.health()).toMatchObject({ circuitBreaker: 'closed', cacheFailures: 0 });
  }, 15_000);

  it('a first connection held open for a while (Redis frozen at boot) is a cold start, not an outage', async () => {
    redis = await startRedisServer();
    // The TCP connection is accepted by the kernel but Redis does not answer the ready check:
    // the client stays in its start-up phase for as long as the server is frozen.
    redis.pause();
    // The limiter's timers, to count how often a request armed the store timeout: a wait for
    // the first connection arms one (no store call is made while the client is starting).
    const armed: number[] = [];
    const timers: Timers = {
      ...systemTimers,
      setTimeout: (fn, ms) => {
        armed.push(ms);
        return systemTimers.setTimeout(fn, ms);
      },
    };
    const app = await startApp({ redisUrl: redis.url, waitForRedis: false, limiter: { ...COLD_START, timers } });
    await vi.waitFor(() => expect(app.client.status).toBe('connect'), { timeout: 2_000, interval: 10 });
    expect(app.store.isStarting()).toBe(true);

    // Well under the 2 s ready-check timeout of the client. The first requests wait (up to the
    // store timeout) for the connection; once that wait has timed out, the rest do not wait again.
    const waitsBefore = armed.filter((ms) => ms === COLD_START.storeTimeoutMs).length;
    const during = await runLoad(app, { clients: 2, durationMs: 800, maxRequests: 400, tenant: (i) => `ent-frozen-${i}`, gapMs: 5 });
    const waits = armed.filter((ms) => ms === COLD_START.storeTimeoutMs).length - waitsBefore;
    // One wait per client at most (the two first requests overlap), and most requests far
    // quicker than the store timeout (a stall of this busy process may slow a few).
    expect(waits).toBeGreaterThanOrEqual(1);
    expect(waits).toBeLessThanOrEqual(2);
    expect(during.length).toBeGreaterThan(20);
    expect(during.map((s) => s.status)).toEqual(during.map(() => 200));
    const latency = expectBoundedLatency(during, { waits }, COLD_START.storeTimeoutMs);
    expect(latency.p90, JSON.stringify(latency)).toBeLessThan(COLD_START.storeTimeoutMs);
    expect(new Set(app.decisions.map((d) => d.source))).toEqual(new Set(['fallback']));
    expect(await app.limiter.manager.health()).toMatchObject({ circuitBreaker: 'closed', cacheFailures: 0 });

    redis.resume();
    await driveUntil(app, 'ent-frozen-0', onPrimary(app, 'ent-frozen-0'), 3_000, 'decisions from Redis after the slow start');
    expect(await app.limiter.manager.health()).toMatchObject({ circuitBreaker: 'closed', cacheFailures: 0 });
    expect(app.failures).toEqual([]);
    expect(app.transitions).toEqual([]);
  }, 15_000);
});

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
