import type { TenantOverride } from '../tiers.js';

/** A change made on one instance that every instance must apply. */
export type FleetEvent =
  | { readonly type: 'override'; readonly tenantId: string; readonly override: TenantOverride<string> | null }
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
  loadOverrides(): Promise<Record<string, TenantOverride<string>>>;
  /** Stores (or with `null` removes) an override and announces it. */
  saveOverride(tenantId: string, override: TenantOverride<string> | null): Promise<void>;
  /** Announces a reset, so every instance drops what it caches for the tenant. */
  publishReset(tenantId: string): Promise<void>;
  /** Delivers events from every instance (this one included); returns an unsubscribe function. */
  subscribe(listener: (event: FleetEvent) => void): () => void;
  /** Notes a tenant seen by this instance; implementations batch the writes. */
  recordSeen(tenantId: string, tier: string, at: number): void;
  /** Tenants seen fleet-wide, most recent first (ties by tenant id, descending), at most `limit`. */
  listSeen(limit: number): Promise<SeenTenant[]>;
  /**
   * The next page of {@link listSeen}'s order: at most `limit` tenants listed after `after`
   * (lower `lastSeen`, or the same and a lower tenant id), whether or not `after` is still in
   * the index. Without it the manager reads `listSeen(maxTrackedTenants)` and pages in memory.
   */
  listSeenAfter?(after: SeenTenant, limit: number): Promise<SeenTenant[]>;
  /** When a tenant was last seen fleet-wide (epoch ms), if it is in the index. */
  lastSeen?(tenantId: string): Promise<number | undefined>;
  /**
   * Publishes this instance's smoothed load, which counts for `ttlMs` unless published again,
   * and refreshes {@link fleetLoad} from every live instance's. Called by the manager's load
   * sampler, never on the request path.
   */
  publishLoad?(load: number, ttlMs: number): Promise<void>;
  /**
   * The fleet's load as of the last successful publish; `undefined` before the first one and
   * once the last one is older than its TTL. Must be cheap: the request path reads it.
   */
  fleetLoad?(): FleetLoadSnapshot | undefined;
}

/** The load of a fleet's live instances (each instance's own smoothed load), this one included. */
export interface FleetLoadSnapshot {
  /** Mean load in [0, 1]: what the manager decides on with `load.fleet`. */
  readonly mean: number;
  /** Highest load of one instance. */
  readonly max: number;
  /** Instances that published within the TTL. */
  readonly instances: number;
}
