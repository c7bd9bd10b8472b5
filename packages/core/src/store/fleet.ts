import type { TenantOverride, Tier } from '../tiers.js';

/** A change made on one instance that every instance must apply. */
export type FleetEvent =
  | { readonly type: 'override'; readonly tenantId: string; readonly override: TenantOverride | null }
  | { readonly type: 'reset'; readonly tenantId: string };

/** A tenant some instance has limited recently. */
export interface SeenTenant {
  readonly tenantId: string;
  /** Epoch ms. */
  readonly lastSeen: number;
}

/**
 * State shared by every instance of a fleet, offered by shared stores (Redis) as
 * `store.fleet`. The manager uses it to make overrides and resets apply everywhere and to list
 * tenants seen fleet-wide.
 */
export interface FleetSync {
  /** Every stored override. */
  loadOverrides(): Promise<Record<string, TenantOverride>>;
  /** Stores (or with `null` removes) an override and announces it. */
  saveOverride(tenantId: string, override: TenantOverride | null): Promise<void>;
  /** Announces a reset, so every instance drops what it caches for the tenant. */
  publishReset(tenantId: string): Promise<void>;
  /** Delivers events from every instance (this one included); returns an unsubscribe function. */
  subscribe(listener: (event: FleetEvent) => void): () => void;
  /** Notes a tenant seen by this instance; implementations batch the writes. */
  recordSeen(tenantId: string, tier: Tier, at: number): void;
  /** Tenants seen fleet-wide, most recent first, at most `limit`. */
  listSeen(limit: number): Promise<SeenTenant[]>;
  /** When a tenant was last seen fleet-wide (epoch ms), if it is in the index. */
  lastSeen?(tenantId: string): Promise<number | undefined>;
}
