import { type BucketPolicy, clampPolicy } from '../algorithms/gcra.js';
import type { BucketQuota } from '../routing/route-rules.js';

/**
 * A bucket under a load factor: rate and burst both scaled (burst rounded up, at least 1), so the
 * window burst/rate stays put. The bucket's state is a time (GCRA's TAT) at most one window
 * ahead; with the window fixed, a dip in load leaves no debt behind: scaling only the rate would
 * let a bucket filled at a low rate stay closed for burst/(rate·factor) after load recovers.
 */
export function scaledPolicy(quota: BucketQuota, factor: number): BucketPolicy {
  if (factor === 1) return { rate: quota.requestsPerSecond, burst: quota.burstSize };
  // A factor that underflowed to 0 (tiny minFactor and boost) still makes a valid, near-closed bucket.
  if (!(factor > 1e-9)) factor = 1e-9;
  // The epsilon keeps 10 × 0.3 = 3.0000000000000004 from rounding up to 4. Clamped, because a
  // tiny factor on a slow rate would otherwise leave the domain every store can execute.
  return clampPolicy(quota.requestsPerSecond * factor, Math.max(1, Math.ceil(quota.burstSize * factor - 1e-9)));
}

/** Concurrency under a load factor: never below one slot unless the factor is 0. */
export function concurrencyLimit(max: number, factor: number): number {
  return factor === 1 ? max : Math.floor(max * factor) || (factor > 0 ? 1 : 0);
}

/** A route rule's quota for a tier: the rule's one quota, or its per-tier entry. */
export function quotaForTier(quota: BucketQuota | Readonly<Record<string, BucketQuota | undefined>>, tier: string): BucketQuota | undefined {
  if ('requestsPerSecond' in quota) return quota as BucketQuota;
  return (quota as Readonly<Record<string, BucketQuota | undefined>>)[tier];
}
