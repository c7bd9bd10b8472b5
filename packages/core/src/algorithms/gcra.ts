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

/** The least a bucket can refill per second: one token per day. */
export const MIN_RATE = 1 / 86_400;

/**
 * The longest refill window (`burst / rate`) a bucket may have: 30 days. It keeps every stored
 * time (`now + window`, in µs) an exact integer in a double for decades, and every TTL and
 * `Retry-After` a finite whole number Redis and HTTP accept.
 */
export const MAX_WINDOW_MS = 30 * 86_400_000;

/** Why `policy` is outside the algorithm's domain, or `undefined` when it is inside. */
export function policyProblem(rate: unknown, burst: unknown): string | undefined {
  if (!(typeof rate === 'number' && rate >= MIN_RATE && rate <= MAX_RATE))
    return `rate must be a number in [${MIN_RATE}, ${MAX_RATE}] (one per day to a million per second), got ${String(rate)}`;
  if (!(Number.isSafeInteger(burst) && (burst as number) >= 1)) return `burst must be a whole number >= 1, got ${String(burst)}`;
  if (emissionIntervalUs(rate) * (burst as number) > MAX_WINDOW_MS * 1000)
    return `burst / rate (the refill window) must be at most 30 days, got ${String(burst)} / ${String(rate)}`;
  return undefined;
}

/**
 * The nearest policy inside the domain: rate raised to {@link MIN_RATE}, burst cut to the
 * {@link MAX_WINDOW_MS} window. Validated configuration never needs it; it guards policies derived
 * at run time (load factors, the fallback's share) so that no combination can leave the domain.
 */
export function clampPolicy(rate: number, burst: number): BucketPolicy {
  // NaN fails the comparison and becomes MIN_RATE: the conservative end.
  const r = rate >= MIN_RATE ? Math.min(rate, MAX_RATE) : MIN_RATE;
  const maxBurst = Math.max(1, Math.floor((MAX_WINDOW_MS * 1000) / emissionIntervalUs(r)));
  return { rate: r, burst: Math.min(burst, maxBurst) };
}

/** Microseconds per token, rounded up so the effective rate never exceeds the configured one. */
export function emissionIntervalUs(rate: number): number {
  return Math.ceil(1e6 / rate);
}

/** Throws {@link InvalidArgumentError} unless the policy and cost are in the algorithm's domain. */
export function assertValidRequest(policy: BucketPolicy, cost: number): void {
  const problem = policyProblem(policy.rate, policy.burst);
  if (problem !== undefined) throw new InvalidArgumentError(problem);
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
  const result = gcraStep(tatUs, nowUs, policy, cost);
  return { tatUs: lastStep.tatUs, result };
}

/** Where {@link gcraStep} leaves the TAT to store, read right after the call (saves an allocation per decision). */
export const lastStep = { tatUs: 0 };

const MAX_WINDOW_US = MAX_WINDOW_MS * 1000;

/**
 * {@link gcraConsume} for hot paths: the same decision and checks, returning only the result
 * and leaving the TAT to store in {@link lastStep} (one object per decision instead of two).
 */
export function gcraStep(tatUs: number | undefined, nowUs: number, policy: BucketPolicy, cost: number, out?: ScratchResult): ConsumeResult {
  const { rate, burst } = policy;
  // Checked here, not only by stores: outside the domain the arithmetic does not fail, it
  // silently answers with NaN or admits free requests (cost 0). The full check runs (and
  // throws with its message) only when a cheap one fails.
  const interval = Math.ceil(1e6 / rate);
  if (
    !(
      typeof rate === 'number' &&
      rate >= MIN_RATE &&
      rate <= MAX_RATE &&
      Number.isSafeInteger(burst) &&
      burst >= 1 &&
      interval * burst <= MAX_WINDOW_US &&
      Number.isSafeInteger(cost) &&
      cost >= 1
    )
  )
    assertValidRequest(policy, cost);
  const tolerance = interval * burst;
  const tat = tatUs !== undefined && tatUs > nowUs ? tatUs : nowUs;
  const newTat = tat + cost * interval;
  const backlog = newTat - nowUs;
  if (backlog <= tolerance) {
    lastStep.tatUs = newTat;
    const remaining = Math.floor((tolerance - backlog) / interval);
    if (out !== undefined) return fill(out, true, burst, remaining, 0, toMs(backlog), undefined);
    return { allowed: true, limit: burst, remaining, retryAfterMs: 0, resetAfterMs: toMs(backlog) };
  }
  lastStep.tatUs = tat;
  const used = tat - nowUs;
  const tooBig = cost > burst;
  if (out !== undefined)
    return fill(
      out,
      false,
      burst,
      Math.max(0, Math.floor((tolerance - used) / interval)),
      tooBig ? toMs(used) : toMs(backlog - tolerance),
      toMs(used),
      tooBig ? 'cost_exceeds_burst' : undefined,
    );
  return {
    allowed: false,
    limit: burst,
    // A policy that shrank since the state was written can leave `used` above the tolerance.
    remaining: Math.max(0, Math.floor((tolerance - used) / interval)),
    // When the cost can never fit, the best a client can do is wait for a full bucket.
    retryAfterMs: tooBig ? toMs(used) : toMs(backlog - tolerance),
    resetAfterMs: toMs(used),
    ...(tooBig ? { reason: 'cost_exceeds_burst' as const } : {}),
  };
}

/** A {@link ConsumeResult} a hot path fills again on every call instead of allocating one (`reason` always present). */
export interface ScratchResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  retryAfterMs: number;
  resetAfterMs: number;
  reason: DenyReason | undefined;
}

/** A fresh {@link ScratchResult}. */
export function scratchResult(): ScratchResult {
  return { allowed: false, limit: 0, remaining: 0, retryAfterMs: 0, resetAfterMs: 0, reason: undefined };
}

function fill(
  out: ScratchResult,
  allowed: boolean,
  limit: number,
  remaining: number,
  retryAfterMs: number,
  resetAfterMs: number,
  reason: DenyReason | undefined,
): ConsumeResult {
  out.allowed = allowed;
  out.limit = limit;
  out.remaining = remaining;
  out.retryAfterMs = retryAfterMs;
  out.resetAfterMs = resetAfterMs;
  out.reason = reason;
  return out as ConsumeResult;
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

/**
 * Gives `cost` tokens back: the TAT moves back by `cost` emission intervals, never before `now`
 * (a bucket never holds more than its burst). The exact inverse of an allowed {@link gcraStep}
 * made under the same policy with nothing in between. Returns the TAT to store, or `undefined`
 * when the bucket is full again (nothing worth keeping). Keep in step with the Redis refund script.
 * @throws InvalidArgumentError when the policy or cost is outside the domain
 */
export function gcraRefund(tatUs: number | undefined, nowUs: number, policy: BucketPolicy, cost: number): number | undefined {
  assertValidRequest(policy, cost);
  if (tatUs === undefined || tatUs <= nowUs) return undefined;
  const back = tatUs - cost * emissionIntervalUs(policy.rate);
  return back > nowUs ? back : undefined;
}

/** The answer to a take of up to `max` tokens: a consume of the tokens granted (or, denied, of `min`). */
export interface TakeResult extends ConsumeResult {
  /** Tokens taken: between `min` and `max` when allowed, 0 when denied. */
  readonly granted: number;
}

/**
 * Takes as many tokens as the bucket holds, up to `max`, and at least `min` (else nothing, and the
 * answer is a consume of `min` denied): how an instance leases a share of a hot tenant's bucket
 * in one call. The TAT to store is left in {@link lastStep}. Keep in step with the Redis take script.
 * @throws InvalidArgumentError when the policy, `min` or `max` is outside the domain
 */
export function gcraTakeUpTo(tatUs: number | undefined, nowUs: number, policy: BucketPolicy, min: number, max: number): TakeResult {
  if (!(Number.isSafeInteger(max) && max >= min)) throw new InvalidArgumentError(`max must be a whole number >= min (${min}), got ${String(max)}`);
  assertValidRequest(policy, min);
  const interval = emissionIntervalUs(policy.rate);
  const used = tatUs !== undefined && tatUs > nowUs ? tatUs - nowUs : 0;
  const available = Math.floor((interval * policy.burst - used) / interval);
  const grant = Math.min(max, available);
  if (grant >= min) return { ...gcraStep(tatUs, nowUs, policy, grant), granted: grant };
  return { ...gcraStep(tatUs, nowUs, policy, min), granted: 0 };
}
