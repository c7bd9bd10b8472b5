// Quota leasing's options, beside the manager's (config/ validates them; manager/quota-leases.ts runs them).
import type { Tier } from '../tiers.js';

/** Options of quota leasing: `leasing` of the manager options. */
export interface LeasingOptions<T extends string = Tier> {
  /** Only tenants whose rate (tier or override, tokens/s) is at least this are leased. @default 1000 */
  minRate?: number;
  /** Requests per second this instance must see from a tenant before it leases. @default 100 */
  threshold?: number;
  /**
   * Share of a leased tenant's refill window (burst / rate) a lease lives, and of its burst set
   * aside so that leasing never admits more than the quota. @default 0.05
   */
  burstShare?: number;
  /** Longest lease, in ms. @default 1000 */
  maxLeaseMs?: number;
  /** Tiers never leased. @default ['free'] */
  excludeTiers?: T[];
}

/** Leasing as the manager runs it; `false` when off. */
export type ResolvedLeasing = Required<LeasingOptions<string>> | false;

/** What `leasing: true` means. */
export const LEASING_DEFAULTS: Required<LeasingOptions<string>> = { minRate: 1000, threshold: 100, burstShare: 0.05, maxLeaseMs: 1000, excludeTiers: ['free'] };
