/** Service tiers, lowest to highest. */
export type Tier = 'free' | 'basic' | 'premium' | 'enterprise';

/** All tiers in ascending order. */
export const TIERS: readonly Tier[] = Object.freeze(['free', 'basic', 'premium', 'enterprise']);

/** The limits one tenant gets. */
export interface TenantQuotaConfig {
  /** Sustained rate: tokens added to the bucket per second. */
  requestsPerSecond: number;
  /** Bucket capacity: the most requests accepted back to back. A whole number ≥ 1. */
  burstSize: number;
  /** Requests of this tenant in flight at once. A whole number ≥ 1. */
  maxConcurrentRequests: number;
  /** Weight under load: a higher boost is shed later. 1 is neutral. */
  priorityBoost: number;
}

/** Per-tenant override: any subset of the quota, merged over the tenant's tier, and optionally a pinned tier. */
export type TenantOverride = Partial<TenantQuotaConfig> & { tier?: Tier };

/** The default tier table: free, basic, premium, enterprise. */
export const DEFAULT_TIER_QUOTAS: Readonly<Record<Tier, Readonly<TenantQuotaConfig>>> = Object.freeze({
  free: Object.freeze({ requestsPerSecond: 5, burstSize: 10, maxConcurrentRequests: 50, priorityBoost: 0.5 }),
  basic: Object.freeze({ requestsPerSecond: 20, burstSize: 40, maxConcurrentRequests: 100, priorityBoost: 0.8 }),
  premium: Object.freeze({ requestsPerSecond: 100, burstSize: 200, maxConcurrentRequests: 500, priorityBoost: 1.0 }),
  enterprise: Object.freeze({ requestsPerSecond: 500, burstSize: 1000, maxConcurrentRequests: 1000, priorityBoost: 1.2 }),
});

/** True when `value` names a tier. */
export function isTier(value: unknown): value is Tier {
  return typeof value === 'string' && (TIERS as readonly string[]).includes(value);
}
