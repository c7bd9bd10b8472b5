/** The four tiers every manager has, lowest to highest. */
export type DefaultTier = 'free' | 'basic' | 'premium' | 'enterprise';

/**
 * Tier names known to the compiler everywhere (route config, decorators, plugin options): augment
 * it to type your own tiers program-wide.
 *
 * @example
 * declare module '@aurum/ratelimit-core' {
 *   interface TierRegistry { gold: true; partner: true }
 * }
 */
// biome-ignore lint/suspicious/noEmptyInterface: declaration-merging target
export interface TierRegistry {}

/**
 * A tier name: one of the four defaults or one registered in {@link TierRegistry}. Options objects
 * passed straight to a factory also accept the names their own `tiers` declares.
 */
export type Tier = DefaultTier | Extract<keyof TierRegistry, string>;

/** The default tier names in ascending order. */
export const TIERS: readonly DefaultTier[] = Object.freeze(['free', 'basic', 'premium', 'enterprise']);

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

/** The quota of a tier of your own: rate, burst and concurrency are required; the boost defaults to 1 (neutral). */
export type NewTierQuota = Omit<TenantQuotaConfig, 'priorityBoost'> & { priorityBoost?: number };

/**
 * The `tiers` option: changes to the default tiers (any subset of a quota) and tiers of your own
 * (a full quota). Every key it names is a tier.
 */
export type TierTable<T extends string = never> = {
  [K in T | Tier]?: K extends DefaultTier ? Partial<TenantQuotaConfig> : NewTierQuota;
};

/** Per-tenant override: any subset of the quota, merged over the tenant's tier, and optionally a pinned tier. */
export type TenantOverride<T extends string = Tier> = Partial<TenantQuotaConfig> & { tier?: T };

/** The default tier table: free, basic, premium, enterprise. */
export const DEFAULT_TIER_QUOTAS: Readonly<Record<DefaultTier, Readonly<TenantQuotaConfig>>> = Object.freeze({
  free: Object.freeze({ requestsPerSecond: 5, burstSize: 10, maxConcurrentRequests: 50, priorityBoost: 0.5 }),
  basic: Object.freeze({ requestsPerSecond: 20, burstSize: 40, maxConcurrentRequests: 100, priorityBoost: 0.8 }),
  premium: Object.freeze({ requestsPerSecond: 100, burstSize: 200, maxConcurrentRequests: 500, priorityBoost: 1.0 }),
  enterprise: Object.freeze({ requestsPerSecond: 500, burstSize: 1000, maxConcurrentRequests: 1000, priorityBoost: 1.2 }),
});

/** What a tier of your own may be called: lower-case letters, digits, `_` and `-`, a letter first, at most 32. */
export const TIER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** True when `value` names one of the four default tiers (a manager's own list is `manager.config.tiers`). */
export function isTier(value: unknown): value is DefaultTier {
  return typeof value === 'string' && (TIERS as readonly string[]).includes(value);
}

/** The part of an environment variable name that stands for a tier: `partner-eu` → `PARTNER_EU`. */
export function tierEnvName(tier: string): string {
  return tier.toUpperCase().replace(/-/g, '_');
}
