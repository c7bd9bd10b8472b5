/**
 * The model check the refund and takeUpTo tests share: one RedisStore on a real redis-server and a
 * MemoryStore on the same test clock, driven by the same operations and compared with core's GCRA
 * functions, TAT for TAT.
 */
import { type BucketPolicy, gcraConsume, gcraRefund, MemoryStore } from '@aurum/ratelimit-core/store';
import { FakeClock, type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import fc from 'fast-check';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect } from 'vitest';
import { RedisStore } from '../src/index.js';
import { connect } from './instances.js';

export const MODEL_POLICIES: readonly BucketPolicy[] = [
  { rate: 5, burst: 10 },
  { rate: 3, burst: 4 },
  { rate: 0.5, burst: 2 },
  { rate: 1000, burst: 1000 },
  { rate: 7, burst: 1 },
];
/** An index into {@link MODEL_POLICIES}: operations on one key may change policy between calls. */
export const modelPolicy = fc.integer({ min: 0, max: MODEL_POLICIES.length - 1 });

export type AdvanceOp = { kind: 'advance'; ms: number };
export type CostOp = { kind: 'consume' | 'refund'; cost: number; policy: number };

/** The shared client, the store under test (on `clock`) and the test clock. */
export interface ModelRedis {
  readonly clock: FakeClock;
  readonly client: Redis;
  readonly redis: RedisStore;
  readonly keyPrefix: string;
}

/** Starts a redis-server before the file's tests and a RedisStore with `keyPrefix` on a test clock; stops both after. */
export function useModelRedis(keyPrefix: string): ModelRedis {
  let server: RedisServer | undefined;
  const model = { clock: new FakeClock(), keyPrefix } as { -readonly [K in keyof ModelRedis]: ModelRedis[K] };
  beforeAll(async () => {
    server = await startRedisServer();
    model.client = (await connect(server.url)) as Redis;
    model.redis = new RedisStore({ client: model.client, clock: model.clock, keyPrefix, fleet: false });
  });
  afterAll(async () => {
    await model.redis?.close();
    model.client?.disconnect();
    await server?.stop();
  });
  return model;
}

/** Where one operation of a run happens: its place in the run, its key, the memory store beside Redis, the policy, now (µs) and the model's TAT. */
export interface ModelStep {
  readonly index: number;
  readonly key: string;
  readonly memory: MemoryStore;
  readonly policy: BucketPolicy;
  readonly now: number;
  readonly tat: number | undefined;
}

let run = 0;

/**
 * One run of operations on a key of its own, a day after the last run's (runs never share a
 * moment; one store serves every run, since a store per run would pile listeners on the client).
 * `step` applies an operation to both stores, checks their answers and returns the model's TAT;
 * after each, the TAT Redis stored must be the model's (a TAT at or before now is a full bucket,
 * whether the key holds it or is gone), and `after` may check more.
 */
export async function runModel<O extends { kind: string; policy: number }>(
  model: ModelRedis,
  ops: readonly (O | AdvanceOp)[],
  step: (op: O, at: ModelStep) => Promise<number | undefined>,
  after?: (at: { key: string; memory: MemoryStore; index: number }) => Promise<void>,
): Promise<void> {
  const key = `{acme-${++run}}:b`;
  model.clock.set(Date.UTC(2026, 0, 1) + run * 86_400_000);
  const memory = new MemoryStore({ clock: model.clock });
  let tat: number | undefined;
  for (const [index, o] of ops.entries()) {
    if (o.kind === 'advance') {
      model.clock.advance((o as AdvanceOp).ms);
      continue;
    }
    const now = Math.round(model.clock.now() * 1000);
    tat = await step(o as O, { index, key, memory, policy: MODEL_POLICIES[(o as O).policy] as BucketPolicy, now, tat });
    const stored = Number(await model.client.get(`${model.keyPrefix}${key}`));
    expect(stored > now ? stored : undefined, `TAT after op ${index}`).toBe(tat !== undefined && tat > now ? tat : undefined);
    await after?.({ key, memory, index });
  }
  await memory.close();
}

/** A consume or a refund on both stores, checked against the model; the model's TAT after it. */
export async function costStep(model: ModelRedis, o: CostOp, { index, key, memory, policy, now, tat }: ModelStep): Promise<number | undefined> {
  if (o.kind === 'refund') {
    await model.redis.refund(key, policy, o.cost);
    await memory.refund(key, policy, o.cost);
    return gcraRefund(tat, now, policy, o.cost);
  }
  const expected = gcraConsume(tat, now, policy, o.cost);
  const fromRedis = await model.redis.consume(key, policy, o.cost);
  expect(fromRedis, `op ${index}`).toEqual(await memory.consume(key, policy, o.cost));
  expect(fromRedis, `op ${index}`).toEqual(expected.result);
  return expected.tatUs;
}
