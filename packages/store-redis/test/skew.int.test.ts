/**
 * Clock skew between instances does not matter: two managers whose clocks are 5 s ahead and
 * 5 s behind share one Redis through RedisStores WITHOUT a store clock, so every decision runs
 * on Redis TIME, and together they admit exactly what one instance would.
 */
import type { RateLimitDecision } from '@aurum/ratelimit-core';
import type { Clock } from '@aurum/ratelimit-core/store';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Instance, startInstance } from './instances.js';

const RATE = 5; // one token per 200 ms
const BURST = 20; // a full bucket is 4 s of tokens: less than the 10 s between the two clocks
const SKEW_MS = 5_000;
const ahead: Clock = { now: () => Date.now() + SKEW_MS };
const behind: Clock = { now: () => Date.now() - SKEW_MS };

let server: RedisServer;
const instances: Instance[] = [];
let seq = 0;

beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(async () => {
  await Promise.all(instances.splice(0).map((i) => i.close()));
});
afterAll(async () => {
  await server?.stop();
});

/** Two instances, +5 s and −5 s, limiting `tenant` at RATE/BURST; `storeClocks` hands the skew to the store too (control). */
async function skewedPair(tenant: string, storeClocks: boolean): Promise<[Instance, Instance]> {
  const keyPrefix = `skew${++seq}:`;
  const make = (clock: Clock) =>
    startInstance(server.url, {
      keyPrefix,
      fleet: false,
      ...(storeClocks && { storeClock: clock }),
      manager: { clock, overrides: { [tenant]: { requestsPerSecond: RATE, burstSize: BURST } } },
    });
  const pair = await Promise.all([make(ahead), make(behind)]);
  instances.push(...pair);
  return pair;
}

/** Consumes on `instance` back to back until the first denial; returns how many were admitted. */
async function drain(instance: Instance, tenant: string): Promise<{ admitted: number; denial: RateLimitDecision; elapsedMs: number }> {
  const started = Date.now();
  let admitted = 0;
  for (;;) {
    const d = await instance.manager.checkRateLimit(tenant);
    if (!d.allowed) return { admitted, denial: d, elapsedMs: Date.now() - started };
    admitted++;
    if (admitted > 3 * BURST) throw new Error('never denied');
  }
}

describe('instances with skewed clocks on one Redis (Redis TIME)', () => {
  it('admit exactly one burst back to back, then the rate, as one instance would', async () => {
    const tenant = 'skewed-tenant';
    const [a, b] = await skewedPair(tenant, false);

    // The instance running behind drains the bucket; the one running ahead gets nothing extra.
    const first = await drain(b, tenant);
    const refillDuringDrain = Math.ceil((RATE * first.elapsedMs) / 1000);
    expect(first.admitted).toBeGreaterThanOrEqual(BURST);
    expect(first.admitted).toBeLessThanOrEqual(BURST + refillDuringDrain);
    expect(first.denial.metadata).toMatchObject({ source: 'primary', remaining: 0, limit: BURST });
    const aheadTry = await a.manager.checkRateLimit(tenant);
    expect(aheadTry.allowed).toBe(false);
    expect(aheadTry.metadata.source).toBe('primary');
    console.info(`[skew] back to back: ${first.admitted} admitted (burst ${BURST}, drain took ${first.elapsedMs} ms)`);

    // Then both ask in turn, continuously: together they get the rate, not twice the rate.
    const startedAt = Date.now();
    let firstDoneAt = 0;
    let lastSentAt = 0;
    let admitted = 0;
    const byInstance = [0, 0];
    for (let n = 0; Date.now() - startedAt < 1_200; n++) {
      lastSentAt = Date.now();
      const d = await (n % 2 === 0 ? a : b).manager.checkRateLimit(tenant);
      firstDoneAt ||= Date.now();
      if (d.allowed) {
        admitted++;
        byInstance[n % 2] = (byInstance[n % 2] as number) + 1;
      }
    }
    const outerMs = Date.now() - startedAt;
    const innerMs = lastSentAt - firstDoneAt;
    console.info(`[skew] steady state: ${admitted} admitted in ${outerMs} ms at ${RATE}/s (ahead ${byInstance[0]}, behind ${byInstance[1]})`);
    // The bucket was empty at the start: at most one token per 200 ms (plus one partly refilled).
    expect(admitted).toBeLessThanOrEqual(Math.floor((RATE * outerMs) / 1000) + 1);
    expect(admitted).toBeGreaterThanOrEqual(Math.floor((RATE * innerMs) / 1000) - 1);
    expect([...a.failures, ...b.failures]).toEqual([]);
  });

  it('control: with the skew handed to the stores as their clocks, the instance ahead gets a second burst', async () => {
    // Proves the scenario above has teeth: client clocks would double the burst.
    const tenant = 'skewed-control';
    const [a, b] = await skewedPair(tenant, true);
    const behindRun = await drain(b, tenant);
    const aheadRun = await drain(a, tenant);
    expect(behindRun.admitted).toBeGreaterThanOrEqual(BURST);
    expect(aheadRun.admitted).toBeGreaterThanOrEqual(BURST);
    expect([...a.failures, ...b.failures]).toEqual([]);
  });
});
