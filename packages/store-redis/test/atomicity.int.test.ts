/**
 * Atomicity across processes: four OS processes, each with its own connection and several
 * decisions in flight, hammer ONE bucket through one Redis. A read-then-write limiter would
 * over-admit here; one EVALSHA per decision on Redis TIME admits exactly what GCRA allows.
 */
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HammerConfig, HammerReport } from './workers/hammer.worker.js';
import { WorkerProcess } from './workers/process.js';

const PROCESSES = 4;
const IN_FLIGHT = 4;
const RATE = 200;
const BURST = 50;
const DURATION_MS = 3_000;
/** ~1 ms between a lane's decisions: thousands of decisions/s offered against 200/s, without starving a 2-CPU box. */
const PAUSE_MS = 1;

let server: RedisServer;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(async () => {
  // Only our own children, by PID (a no-op for those that already exited).
  await Promise.all(workers.splice(0).map((w) => w.kill('SIGKILL')));
});
afterAll(async () => {
  await server?.stop();
});

describe('RedisStore.consume across OS processes', () => {
  it(`${PROCESSES} processes × ${IN_FLIGHT} in flight on one tenant admit exactly burst + rate × elapsed`, async () => {
    const key = `{atomic-${Date.now().toString(36)}}:b`;
    const cfg: HammerConfig = { url: server.url, key, rate: RATE, burst: BURST, durationMs: DURATION_MS, inFlight: IN_FLIGHT, pauseMs: PAUSE_MS };
    for (let i = 0; i < PROCESSES; i++) workers.push(new WorkerProcess('hammer.worker.ts', cfg));
    await Promise.all(workers.map((w) => w.next('ready', 15_000)));

    // No decision can be made before 'go' is sent or after the last report arrives.
    const goAt = Date.now();
    for (const w of workers) w.send({ type: 'go' });
    const reports = (await Promise.all(workers.map((w) => w.next('done', DURATION_MS + 10_000)))) as unknown as HammerReport[];
    const parentElapsedMs = Date.now() - goAt;

    const admitted = reports.reduce((n, r) => n + r.admitted, 0);
    const denied = reports.reduce((n, r) => n + r.denied, 0);
    expect(reports.map((r) => r.firstError ?? null)).toEqual(reports.map(() => null));
    expect(reports.every((r) => r.admitted + r.denied > 0)).toBe(true);

    // Every decision ran on Redis inside [first send, last answer] of some worker (same host clock).
    const outerMs = Math.max(...reports.map((r) => r.lastDoneAt)) - Math.min(...reports.map((r) => r.firstSentAt));
    // Demand was continuous over [earliest first answer, latest last send]: every worker was
    // busy over its own span, and the spans overlap (checked), so the union has no gap.
    const latestStart = Math.max(...reports.map((r) => r.firstDoneAt));
    const earliestEnd = Math.min(...reports.map((r) => r.lastSentAt));
    expect(latestStart).toBeLessThan(earliestEnd);
    const innerMs = Math.max(...reports.map((r) => r.lastSentAt)) - Math.min(...reports.map((r) => r.firstDoneAt));

    const loose = BURST + (RATE * parentElapsedMs) / 1000;
    const tight = BURST + (RATE * outerMs) / 1000;
    const floor = 0.9 * (BURST + (RATE * innerMs) / 1000);
    console.info(
      `[atomicity] admitted ${admitted} (denied ${denied}); upper bounds: ${tight.toFixed(1)} (workers' span ${outerMs} ms), ` +
        `${loose.toFixed(1)} (parent elapsed ${parentElapsedMs} ms); lower bound ${floor.toFixed(1)} (90% over ${innerMs} ms)`,
    );
    expect(admitted).toBeLessThanOrEqual(Math.floor(loose) + 1);
    expect(admitted).toBeLessThanOrEqual(Math.floor(tight) + 1);
    expect(admitted).toBeGreaterThanOrEqual(Math.ceil(floor));
    // The limiter was really contended, not just fed at its own pace.
    expect(denied).toBeGreaterThan(admitted);
  }, 30_000);
});
