import { InvalidArgumentError } from '../errors.js';

/**
 * Generic Cell Rate Algorithm: a token bucket stored as one number, the theoretical arrival time
 * (TAT). All arithmetic is on whole microseconds so that JavaScript and the Redis Lua port give
 * bit-identical answers and `retryAfterMs` is exact: waiting it makes the request pass, waiting
 * one millisecond less does not.
 */

/** A bucket's shape. */
export interface BucketPolicy {
  /** Tokens added per second. Finite, > 0, at most 1e6. */
  readonly rate: number;
  /** Capacity in tokens. A whole number ≥ 1. */
  readonly burst: number;
}

/** Why a request was denied when the answer is not a plain "bucket empty". */
export type DenyReason = 'cost_exceeds_burst';

/** The answer to one `consume`. */
export interface ConsumeResult {
  readonly allowed: boolean;
  /** Bucket capacity (the policy's burst). */
  readonly limit: number;
  /** Whole tokens left after this call. */
  readonly remaining: number;
  /** Milliseconds until this cost would be accepted; 0 when allowed. */
  readonly retryAfterMs: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetAfterMs: number;
  /** Set when waiting cannot help: the cost is larger than the whole bucket. */
  readonly reason?: DenyReason;
}

/** The most a bucket can refill per second; beyond it the 1 µs resolution would round the rate. */
export const MAX_RATE = 1_000_000;

/** Microseconds per token, rounded up so the effective rate never exceeds the configured one. */
export function emissionIntervalUs(rate: number): number {
  return Math.ceil(1e6 / rate);
}

/** Throws {@link InvalidArgumentError} unless the policy and cost are in the algorithm's domain. */
export function assertValidRequest(policy: BucketPolicy, cost: number): void {
  const { rate, burst } = policy;
  if (!(typeof rate === 'number' && rate > 0 && rate <= MAX_RATE)) {
    throw new InvalidArgumentError(`rate must be a number in (0, ${MAX_RATE}], got ${String(rate)}`);
  }
  if (!(Number.isSafeInteger(burst) && burst >= 1)) {
    throw new InvalidArgumentError(`burst must be a whole number >= 1, got ${String(burst)}`);
  }
  if (!(Number.isSafeInteger(cost) && cost >= 1)) {
    throw new InvalidArgumentError(`cost must be a whole number >= 1, got ${String(cost)}`);
  }
}

const toMs = (us: number): number => Math.ceil(us / 1000);

/**
 * One decision. `tatUs` is the stored state (undefined or in the past means a full bucket);
 * the returned `tatUs` is what to store (unchanged when denied). Keep in step with
 * `packages/store-redis/src/lua/consume.ts`.
 * @throws InvalidArgumentError when the policy or cost is outside the domain (see {@link assertValidRequest})
 */
export function gcraConsume(tatUs: number | undefined, nowUs: number, policy: BucketPolicy, cost: number): { tatUs: number; result: ConsumeResult } {
  // Checked here too, not only by stores: outside the domain the arithmetic does not fail, it
  // silently answers with NaN or admits free requests (cost 0).
  assertValidRequest(policy, cost);
  const interval = emissionIntervalUs(policy.rate);
  const tolerance = interval * policy.burst;
  const tat = tatUs !== undefined && tatUs > nowUs ? tatUs : nowUs;
  const newTat = tat + cost * interval;
  const backlog = newTat - nowUs;
  if (backlog <= tolerance) {
    return {
      tatUs: newTat,
      result: {
        allowed: true,
        limit: policy.burst,
        remaining: Math.floor((tolerance - backlog) / interval),
        retryAfterMs: 0,
        resetAfterMs: toMs(backlog),
      },
    };
  }
  const used = tat - nowUs;
  const tooBig = cost > policy.burst;
  return {
    tatUs: tat,
    result: {
      allowed: false,
      limit: policy.burst,
      // A policy that shrank since the state was written can leave `used` above the tolerance.
      remaining: Math.max(0, Math.floor((tolerance - used) / interval)),
      // When the cost can never fit, the best a client can do is wait for a full bucket.
      retryAfterMs: tooBig ? toMs(used) : toMs(backlog - tolerance),
      resetAfterMs: toMs(used),
      ...(tooBig ? { reason: 'cost_exceeds_burst' as const } : {}),
    },
  };
}

/** A bucket's state without changing it. */
export interface BucketSnapshot {
  readonly limit: number;
  readonly remaining: number;
  readonly resetAfterMs: number;
}

/** Reads a bucket without consuming. */
export function gcraSnapshot(tatUs: number | undefined, nowUs: number, policy: BucketPolicy): BucketSnapshot {
  assertValidRequest(policy, 1);
  const interval = emissionIntervalUs(policy.rate);
  const used = tatUs !== undefined && tatUs > nowUs ? tatUs - nowUs : 0;
  return {
    limit: policy.burst,
    remaining: Math.max(0, Math.floor((interval * policy.burst - used) / interval)),
    resetAfterMs: toMs(used),
  };
}
