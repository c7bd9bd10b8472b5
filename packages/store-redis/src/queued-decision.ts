import { type AdmitResult, type BucketPolicy, type ConsumeResult, gcraConsume, type LeaseResult } from '@aurum/ratelimit-core/store';
import type { PolicyArgs } from './policy-args.js';

/** The lease half of a consume-and-acquire decision. */
export interface LeaseArgs {
  /** Lease set key, prefixed. */
  readonly key: string;
  readonly limit: number;
  readonly leaseMs: number;
  readonly leaseId: string;
  /** Take a lease even when the bucket refuses. */
  readonly always: boolean;
}

/** One decision on its way to Redis: what the script needs, and the promise its answer settles. */
export interface QueuedDecision {
  /** Bucket key, prefixed. */
  readonly key: string;
  readonly policy: BucketPolicy;
  readonly args: PolicyArgs;
  readonly cost: number;
  /** Present for consume-and-acquire. */
  readonly lease: LeaseArgs | undefined;
  /** The test clock's reading in µs, or '' for Redis TIME. */
  readonly now: string;
  /** Resolves with a `ConsumeResult`, or an `AdmitResult` when `lease` is set. */
  readonly resolve: (result: ConsumeResult | AdmitResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Answers `d` from what its script returned: the TAT it decided from (µs) and `now` (µs), plus
 * the lease outcome (1 taken, 0 refused, -1 not tried) and live leases. The core's `gcraConsume`
 * turns (TAT, now) into the numbers — allowed included: one comparison, cheaper than a reply field
 * Redis would have to send — so they are bit-identical to the memory store's.
 */
export function settle(d: QueuedDecision, tat: number, now: number, taken: number, active: number): void {
  const { result } = gcraConsume(tat, now, d.policy, d.cost);
  const lease = d.lease;
  if (lease === undefined) {
    d.resolve(result);
    return;
  }
  const leaseResult: LeaseResult | undefined =
    taken < 0
      ? undefined
      : taken === 1
        ? { allowed: true, active, limit: lease.limit, leaseId: lease.leaseId }
        : { allowed: false, active, limit: lease.limit };
  d.resolve({ decision: result, lease: leaseResult });
}
