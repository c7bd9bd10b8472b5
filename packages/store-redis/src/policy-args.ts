import { type BucketPolicy, emissionIntervalUs } from '@aurum/ratelimit-core/store';

/** A policy's script arguments, as the strings sent to Redis. */
export interface PolicyArgs {
  readonly rate: number;
  readonly burst: number;
  /** Emission interval T in µs. */
  readonly intervalArg: string;
  readonly burstArg: string;
}

// Keyed by the policy object: a manager hands the same object for every decision of a tenant, so
// a hot tenant's arguments are built once. Weak: a policy dropped by its owner goes with it.
const cache = new WeakMap<BucketPolicy, PolicyArgs>();

/** The script arguments of `policy`, computed once per policy object (and again if it was mutated). */
export function policyArgs(policy: BucketPolicy): PolicyArgs {
  const cached = cache.get(policy);
  if (cached !== undefined && cached.rate === policy.rate && cached.burst === policy.burst) return cached;
  const args = { rate: policy.rate, burst: policy.burst, intervalArg: String(emissionIntervalUs(policy.rate)), burstArg: String(policy.burst) };
  cache.set(policy, args);
  return args;
}
