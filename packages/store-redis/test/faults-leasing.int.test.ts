/**
 * Faults with quota leasing on (issue 13), on a real redis-server: a hot tenant is leased
 * (`leasing: { minRate: 10, threshold: 20 }`), then Redis is frozen with SIGSTOP or killed with
 * SIGKILL under its traffic. The instance spends only the tokens it holds, then falls back as
 * without leasing, and never admits more than burst + rate × elapsed (plus, when the fallback
 * answers, the fallback's own bucket over the outage, and a fresh bucket after a restart that lost
 * Redis's data). Phases follow events (a leased decision, the breaker opening and closing), each
 * bounded by a deadline; the bounds are counts, never durations.
 */
import { performance } from 'node:perf_hooks';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRateLimitManager, type RateLimitManager } from '@aurum/ratelimit-core';
import { MemoryStore } from '@aurum/ratelimit-core/store';
import { RedisStore } from '../src/index.js';
import { connect, sleep } from './instances.js';
import { type TokenLedger, withLedger } from './support/token-ledger.js';

/**
 * Faster than the test's traffic (a request about every 2 ms): the bucket never runs dry, so the
 * instance holds leased tokens when Redis freezes. A lease lives 10 ms (5 % of the 0.2 s window),
 * the reserved burst is 190, and one lease holds at most half of it (a fleet of unknown size
 * counts as two).
 */
const BUSY = { tier: 'enterprise' as const, requestsPerSecond: 1000, burstSize: 200 };
const BUSY_MAX_HELD = Math.floor(190 / 2);
/** Slower than the traffic, so limits bite: a lease lives 50 ms; the reserved burst is 95. */
const HOT = { tier: 'enterprise' as const, requestsPerSecond: 100, burstSize: 100 };
const HOT_RESERVED = 95;
const HOT_MAX_HELD = Math.floor(HOT_RESERVED / 2);
const PHASE_LIMIT_MS = 5_000;

let redis: RedisServer | undefined;
const managers: RateLimitManager[] = [];

beforeEach(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  // Redis first: a frozen server would hold QUIT until the command timeout.
  await redis?.stop();
  redis = undefined;
  await Promise.all(managers.splice(0).map((m) => m.close().catch(() => {})));
});
const server = () => redis as RedisServer;

interface Outcome {
  at: number;
  allowed: boolean;
  source: string;
}

interface LeasedInstance {
  readonly manager: RateLimitManager;
  /** Tokens Redis gave this instance and got back; and the same for its memory fallback. */
  readonly redisLedger: TokenLedger;
  readonly fallbackLedger: TokenLedger;
}

/** A manager on its own connection, leasing `hot` and `busy`, its Redis store and fallback counted. */
async function leasedInstance(failMode: 'closed' | 'fallback'): Promise<LeasedInstance> {
  const client = await connect(server().url);
  const redisStore = withLedger(new RedisStore({ client, keyPrefix: 'fl:', fleet: false, ownsClient: true }));
  const fallback = withLedger(new MemoryStore());
  const manager = createRateLimitManager({
    env: false,
    load: { enabled: false },
    store: redisStore.store,
    fallbackStore: fallback.store,
    storeTimeoutMs: 50,
    circuitBreaker: { minimumCalls: 3, resetTimeoutMs: 300 },
    failMode,
    leasing: { minRate: 10, threshold: 20 },
    overrides: { hot: HOT, busy: BUSY },
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  });
  await manager.ready;
  managers.push(manager);
  return { manager, redisLedger: redisStore.ledger, fallbackLedger: fallback.ledger };
}

/** Tokens an instance can have admitted: what its stores gave it, less what it gave back. */
const held = (ledger: TokenLedger) => ledger.given - ledger.returned;

/** Sends the hot tenant's requests one after another until `done` (checked between requests) or the deadline. */
async function drive(instance: LeasedInstance, into: Outcome[], done: () => boolean, what: string, tenant = 'hot'): Promise<void> {
  const deadline = performance.now() + PHASE_LIMIT_MS;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${PHASE_LIMIT_MS} ms waiting for ${what}`);
    try {
      const d = await instance.manager.checkRateLimit(tenant);
      into.push({ at: performance.now(), allowed: d.allowed, source: d.metadata.source });
    } catch {
      into.push({ at: performance.now(), allowed: false, source: 'error' }); // failMode 'closed' refuses
    }
    await sleep(1);
  }
}

const admitted = (outcomes: readonly Outcome[]) => outcomes.filter((o) => o.allowed).length;
const bySource = (outcomes: readonly Outcome[]) => {
  const out: Record<string, number> = {};
  for (const o of outcomes) out[`${o.source}:${o.allowed ? 'allowed' : 'denied'}`] = (out[`${o.source}:${o.allowed ? 'allowed' : 'denied'}`] ?? 0) + 1;
  return out;
};

describe('a leased hot tenant while Redis is frozen (SIGSTOP)', () => {
  it('spends only the tokens it holds (fail closed: nothing else admits), then recovers after SIGCONT', async () => {
    const instance = await leasedInstance('closed');
    const breaker = instance.manager.breaker;
    const busy = (into: Outcome[], done: () => boolean, what: string) => drive(instance, into, done, what, 'busy');
    const before: Outcome[] = [];
    const start = performance.now();
    await busy(before, () => before.filter((o) => o.source === 'lease').length >= 100, '100 leased decisions');

    server().pause();
    const frozen: Outcome[] = [];
    // Three times what one lease can hold, so spending beyond the held tokens would show.
    await busy(frozen, () => breaker.state === 'open' && frozen.length >= 3 * BUSY_MAX_HELD, 'the breaker to open on the frozen Redis');
    server().resume();
    const after: Outcome[] = [];
    await busy(after, () => breaker.state === 'closed' && after.at(-1)?.source !== 'error', 'recovery after SIGCONT');
    await busy(after, () => after.filter((o) => o.source === 'lease').length >= 20, 'leasing again after SIGCONT');
    const elapsedS = (performance.now() - start) / 1000;
    console.info('[faults-leasing] SIGSTOP:', JSON.stringify({ before: bySource(before), frozen: bySource(frozen), after: bySource(after) }));

    // Leased, and never refused, before the freeze: the bucket had tokens to lease.
    expect(before.every((o) => o.allowed)).toBe(true);
    // Frozen, fail closed: only tokens already leased admit, at most one lease's worth; the rest
    // are refused (none of them waits for Redis: the store timeout, then the open breaker).
    expect(frozen.filter((o) => o.allowed && o.source !== 'lease')).toEqual([]);
    expect(admitted(frozen)).toBeLessThanOrEqual(BUSY_MAX_HELD);
    expect(frozen.filter((o) => o.source === 'error').length).toBeGreaterThanOrEqual(2 * BUSY_MAX_HELD);
    // Back on Redis: decided from Redis or from new leases again, and admitted again.
    expect(after.filter((o) => o.allowed).every((o) => o.source === 'primary' || o.source === 'lease')).toBe(true);
    expect(after.filter((o) => o.source === 'lease').length).toBeGreaterThanOrEqual(20);
    // Every admission was a token Redis gave (fail closed: the fallback gave none), and never
    // more than the bucket allows over the whole test.
    expect(instance.fallbackLedger.given).toBe(0);
    expect(admitted([...before, ...frozen, ...after])).toBeLessThanOrEqual(held(instance.redisLedger));
    expect(admitted([...before, ...frozen, ...after])).toBeLessThanOrEqual(BUSY.burstSize + BUSY.requestsPerSecond * elapsedS);
  }, 30_000);
});

describe('a leased hot tenant while Redis is killed (SIGKILL) and restarted', () => {
  it('spends what it holds, falls back as without leasing, and admits at most the bucket plus the fallback over the outage', async () => {
    const instance = await leasedInstance('fallback');
    const breaker = instance.manager.breaker;
    const before: Outcome[] = [];
    const start = performance.now();
    await drive(instance, before, () => before.filter((o) => o.source === 'lease').length >= 100, '100 leased decisions');

    await server().kill();
    const killedAt = performance.now();
    const down: Outcome[] = [];
    await drive(instance, down, () => breaker.state === 'open' && down.length >= 200, 'the breaker to open on the dead Redis');
    await server().restart();
    const after: Outcome[] = [];
    await drive(instance, after, () => breaker.state === 'closed' && (after.at(-1)?.source === 'primary' || after.at(-1)?.source === 'lease'), 'recovery');
    const recoveredAt = performance.now();
    await drive(instance, after, () => after.filter((o) => o.source === 'lease').length >= 20, 'leasing again after the restart');
    const elapsedS = (performance.now() - start) / 1000;
    const outageS = (recoveredAt - killedAt) / 1000;
    console.info('[faults-leasing] SIGKILL:', JSON.stringify({ before: bySource(before), down: bySource(down), after: bySource(after), outageS }));

    // Dead Redis: the fallback decides (nothing fails open, nothing errors).
    expect(down.filter((o) => o.source === 'fail-open' || o.source === 'error')).toEqual([]);
    expect(down.some((o) => o.source === 'fallback')).toBe(true);
    // The fallback enforces the tenant's limit: it refuses, and while Redis is dead admits at most
    // the tokens the lease held and the fallback's own bucket (share 1: the reserved policy, 95 and
    // 100/s) over the outage. (A take the breaker sends to the fallback is that request's fallback
    // decision, reported as 'fallback'.)
    expect(down.some((o) => !o.allowed)).toBe(true);
    const fallbackAllowance = HOT_RESERVED + HOT.requestsPerSecond * outageS;
    expect(admitted(down)).toBeLessThanOrEqual(HOT_MAX_HELD + fallbackAllowance);
    // Over the whole test: the bucket, a fresh bucket on the restarted (empty) Redis, and the fallback.
    const bound = HOT.burstSize + HOT.requestsPerSecond * elapsedS + HOT.burstSize + fallbackAllowance;
    // Every admission was a token Redis or the fallback gave (none spent twice, none made up).
    expect(admitted([...before, ...down, ...after])).toBeLessThanOrEqual(held(instance.redisLedger) + held(instance.fallbackLedger));
    expect(admitted([...before, ...down, ...after])).toBeLessThanOrEqual(bound);
    // Leasing works again on the restarted Redis.
    expect(after.filter((o) => o.source === 'lease').length).toBeGreaterThanOrEqual(20);
  }, 30_000);
});
