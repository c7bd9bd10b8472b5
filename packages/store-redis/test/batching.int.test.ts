/**
 * Issue 12.3: decisions waiting for Redis at the same moment go in one EVALSHA (CONSUME_BATCH_LUA),
 * decided in arrival order exactly as one call each would decide them; a decision the script cannot
 * make fails alone; a failed call fails each of its decisions, and the resilient wrapper then
 * decides each from the fallback. Counted with INFO commandstats on a real redis-server.
 */
import { type AdmitRequest, type BucketPolicy, gcraConsume, type RateLimitStore, ResilientStore } from '@aurum/ratelimit-core/store';
import { FakeClock, type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisStore, type RedisStoreOptions } from '../src/index.js';
import { connect } from './instances.js';

let server: RedisServer;
let client: Redis;
let admin: Redis;
let prefixes = 0;

beforeAll(async () => {
  server = await startRedisServer();
  client = (await connect(server.url)) as Redis;
  admin = (await connect(server.url)) as Redis;
});
afterAll(async () => {
  client?.disconnect();
  admin?.disconnect();
  await server?.stop();
});
beforeEach(async () => {
  await admin.config('RESETSTAT');
});

const clock = new FakeClock();
const store = (options: Partial<RedisStoreOptions> = {}) => new RedisStore({ client, clock, fleet: false, keyPrefix: `batch${++prefixes}:`, ...options });

/** Calls of `command` since the last RESETSTAT (INFO itself and CONFIG excluded by name). */
async function calls(command: string): Promise<number> {
  const info = await admin.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

const POLICIES: BucketPolicy[] = [
  { rate: 5, burst: 10 },
  { rate: 100, burst: 3 },
];

/** A fixed mixed sequence: decisions and decisions-with-lease over a few keys, many repeated. */
type Step = { kind: 'consume'; key: string; policy: BucketPolicy; cost: number } | { kind: 'admit'; request: AdmitRequest };
function sequence(n: number): Step[] {
  return Array.from({ length: n }, (_, i): Step => {
    const tenant = `{t${(i * 7) % 23}}`;
    const policy = POLICIES[i % 2] as BucketPolicy;
    const cost = 1 + (i % 3);
    if (i % 3 === 0) return { kind: 'consume', key: `${tenant}:b`, policy, cost };
    return {
      kind: 'admit',
      request: { key: `${tenant}:b`, policy, cost, leaseKey: `${tenant}:c`, limit: 4, leaseMs: 60_000, leaseAlways: i % 5 === 0 },
    };
  });
}

/** Issues every step at once (nothing awaited in between) and returns the answers without lease ids. */
async function runAll(target: RateLimitStore, steps: readonly Step[]): Promise<unknown[]> {
  const answers = await Promise.all(
    steps.map((s) =>
      s.kind === 'consume'
        ? target.consume(s.key, s.policy, s.cost)
        : (target.consumeAndAcquire as NonNullable<RateLimitStore['consumeAndAcquire']>).call(target, s.request),
    ),
  );
  return answers.map((a) => {
    if (!('decision' in a)) return a;
    const { leaseId, ...lease } = a.lease ?? { leaseId: undefined };
    return { decision: a.decision, lease: a.lease === undefined ? undefined : { ...lease, hasId: leaseId !== undefined } };
  });
}

describe('batched decisions', () => {
  it('N decisions issued together take ceil(N / 256) EVALSHA and answer exactly as one EVALSHA each', async () => {
    const steps = sequence(600);
    const batched = await runAll(store(), steps);
    expect(await calls('evalsha')).toBe(Math.ceil(600 / 256));
    // Every entry still ran its own GET (and an allowed one its SET): each was decided on its own.
    expect(await calls('get')).toBe(600);

    await admin.config('RESETSTAT');
    const unbatched = await runAll(store({ batch: false }), steps);
    expect(await calls('evalsha')).toBe(600);
    expect(batched).toEqual(unbatched);
    // The sequence exercises what matters: refusals, repeated keys and leases taken and refused.
    const decisions = batched.map((a) => (a as { decision?: { allowed: boolean } }).decision ?? (a as { allowed: boolean }));
    expect(decisions.filter((d) => d.allowed).length).toBeGreaterThan(20);
    expect(decisions.filter((d) => !d.allowed).length).toBeGreaterThan(20);
  });

  it('decides the same key several times in one batch in arrival order, as the core math would', async () => {
    const target = store();
    const policy = { rate: 5, burst: 4 };
    const costs = [1, 2, 1, 1, 3, 1];
    const answers = await Promise.all(costs.map((cost) => target.consume('{same}:b', policy, cost)));
    expect(await calls('evalsha')).toBe(1);
    let tat: number | undefined;
    const now = Math.round(clock.now() * 1000);
    answers.forEach((answer, i) => {
      const expected = gcraConsume(tat, now, policy, costs[i] as number);
      tat = expected.tatUs;
      expect(answer, `call ${i}`).toEqual(expected.result);
    });
  });

  it('stores every TAT as the exact whole number of µs, batched or not', async () => {
    const batched = store();
    const single = store({ batch: false });
    const policy = { rate: 142_857, burst: 5 }; // T = 8 µs: the last digits move
    clock.advance(0.123);
    const now = Math.round(clock.now() * 1000);
    await Promise.all([batched.consume('{exact}:b', policy, 1), batched.consume('{exact}:b', policy, 2)]);
    await single.consume('{exact}:b', policy, 3);
    expect(await admin.get(`${batched.keyPrefix}{exact}:b`)).toBe(String(now + 3 * 8));
    expect(await admin.get(`${single.keyPrefix}{exact}:b`)).toBe(String(now + 3 * 8));
  });

  it('honours maxSize: a full batch goes at once', async () => {
    const target = store({ batch: { maxSize: 4 } });
    await Promise.all(Array.from({ length: 10 }, (_, i) => target.consume(`{m${i}}:b`, POLICIES[0] as BucketPolicy, 1)));
    expect(await calls('evalsha')).toBe(3);
  });

  it('with batch: false, one EVALSHA per decision', async () => {
    const target = store({ batch: false });
    await Promise.all(Array.from({ length: 10 }, (_, i) => target.consume(`{n${i}}:b`, POLICIES[0] as BucketPolicy, 1)));
    expect(await calls('evalsha')).toBe(10);
  });

  it('sends a lone decision without waiting for a timer', async () => {
    const target = store();
    // Timers frozen (ioredis's command timeout included): only I/O and setImmediate still run.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      await expect(target.consume('{lone}:b', POLICIES[0] as BucketPolicy, 1)).resolves.toMatchObject({ allowed: true, remaining: 9 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('fails only the decision the script could not make (a key of another type), in the same EVALSHA', async () => {
    const target = store();
    const prefix = target.keyPrefix;
    await admin.hset(`${prefix}{wrong}:b`, 'field', 'value');
    await admin.set(`${prefix}{wrong-lease}:c:leases`, 'not a sorted set');
    const policy = POLICIES[0] as BucketPolicy;
    const admit = (tenant: string) =>
      target.consumeAndAcquire({ key: `{${tenant}}:b`, policy, cost: 1, leaseKey: `{${tenant}}:c`, limit: 2, leaseMs: 60_000, leaseAlways: false });
    const settled = await Promise.allSettled([
      target.consume('{ok}:b', policy, 1),
      target.consume('{wrong}:b', policy, 1),
      target.consume('{ok}:b', policy, 2),
      admit('wrong-lease'),
      admit('ok-lease'),
      target.consume('{ok}:b', policy, 1),
      target.consume('{wrong}:b', policy, 1),
      admit('wrong-lease'),
    ]);
    expect(await calls('evalsha')).toBe(1);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ message: expect.stringMatching(/^WRONGTYPE/) });
    expect((settled[3] as PromiseRejectedResult).reason).toMatchObject({ message: expect.stringMatching(/^WRONGTYPE/) });
    const value = (i: number) => (settled[i] as PromiseFulfilledResult<unknown>).value;
    expect([value(0), value(2), value(5)]).toMatchObject([{ remaining: 9 }, { remaining: 7 }, { remaining: 6 }]);
    expect(value(4)).toMatchObject({ decision: { allowed: true, remaining: 9 }, lease: { allowed: true, active: 1 } });
    // The other type's data is untouched: a failed read never looks like an empty bucket.
    expect(await admin.hget(`${prefix}{wrong}:b`, 'field')).toBe('value');
  });

  it('fails every decision of a call that fails, and the resilient wrapper decides each from the fallback', async () => {
    const lost = (await connect(server.url)) as Redis;
    const primary = new RedisStore({ client: lost, fleet: false, keyPrefix: `batch${++prefixes}:` });
    const policy = POLICIES[0] as BucketPolicy;
    await primary.consume('{warm}:b', policy, 1);
    lost.disconnect();
    const direct = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => primary.consume(`{gone${i}}:b`, policy, 1)));
    expect(direct.map((s) => s.status)).toEqual(Array(5).fill('rejected'));

    const failures: unknown[] = [];
    const resilient = new ResilientStore({ primary, breaker: { minimumCalls: 1000 }, onFailure: (f) => failures.push(f.error) });
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => resilient.consume(`{gone${i}}:b`, policy, 1)));
    expect(answers.map((a) => a.source)).toEqual(Array(5).fill('fallback'));
    expect(answers.map((a) => a.remaining)).toEqual(Array(5).fill(9));
    expect(failures).toHaveLength(5);
    await resilient.close();
  });
});
