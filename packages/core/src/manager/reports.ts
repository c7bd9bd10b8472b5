import type { CircuitState } from '../breaker/circuit-breaker.js';
import type { LoadReport } from '../load/load-control.js';
import type { TenantOverride, TenantQuotaConfig } from '../tiers.js';

/** Per-call options of {@link RateLimitManager.checkRateLimit}. */
export interface CheckOptions {
  /** Tokens this request costs; beats route rules. */
  cost?: number;
  /** HTTP method, for method-specific route rules. */
  method?: string;
  /** Count in this named bucket instead of the rule's or the default one. */
  bucket?: string;
  /** Route pattern known to the framework (`/users/:id`), used as the metrics label. */
  route?: string;
}

/** Which bucket {@link RateLimitManager.refund} gives tokens back to: the one a request to `path` takes from, or `bucket`. */
export interface RefundOptions {
  /** The request's path: route rules pick the bucket as they did for the decision. */
  path?: string;
  /** The request's method, for method-specific route rules. */
  method?: string;
  /** The bucket by name (beats `path`). @default the rule's bucket for `path`, else `default` */
  bucket?: string;
}

/** What the manager remembers about a tenant it has seen (bounded, most recent kept). */
export interface TenantSummary {
  readonly tenantId: string;
  readonly key: string;
  readonly tier: string;
  readonly anonymous: boolean;
  readonly lastSeen: number;
  readonly allowed: number;
  readonly denied: number;
}

/** Detailed status of one tenant. */
export interface TenantStatus {
  readonly tenantId: string;
  /** Seen (here or fleet-wide), overridden, or holding state; the admin API answers 404 otherwise. */
  readonly known: boolean;
  readonly tier: string;
  readonly quota: TenantQuotaConfig;
  readonly overridden: boolean;
  readonly limit: number;
  readonly remaining: number;
  readonly resetAfterMs: number;
  /** Buckets of this tenant holding state (not full). */
  readonly activeWindows: number;
  readonly activeConcurrency: number;
  readonly lastSeen: number | null;
  readonly allowed: number;
  readonly denied: number;
  /** The load multiplier this tenant's quota gets now (1 = none). */
  readonly loadFactor: number;
}

/** Process health as the admin API and health checks report it (load fields: see {@link LoadReport}). */
export interface HealthReport extends LoadReport {
  /** `degraded` while the breaker is not closed (decisions come from the fallback). */
  readonly status: 'ok' | 'degraded';
  readonly store: string;
  readonly circuitBreaker: CircuitState;
  /** Failed shared-store calls since start (errors, timeouts, slow calls). */
  readonly cacheFailures: number;
  /** Failures in a row while closed; informative only: the failure rate opens the breaker. */
  readonly consecutiveFailures: number;
  /** Shared-store calls in the breaker's sliding window (`slidingWindowMs`); 0 while not closed. */
  readonly windowCalls: number;
  /**
   * Percentage of those calls that failed, to 0.1; the breaker opens at `failureRateThreshold`
   * once `windowCalls` reaches `minimumCalls`. `null` while the window is empty.
   */
  readonly failureRate: number | null;
  readonly activeTenants: number;
  /** Round trip of a store ping in ms, or `null` when it failed or timed out. */
  readonly storeLatencyMs: number | null;
}

/** Answer of {@link RateLimitManager.readiness}, for Kubernetes readiness probes. */
export interface Readiness {
  /**
   * False only when this instance cannot decide: closed, or the shared store is unavailable
   * and `failMode` is `closed`. A Redis outage alone keeps it ready: the fallback serves.
   */
  readonly ready: boolean;
  readonly reason?: string;
  readonly circuitBreaker: CircuitState;
}

/** Quota configuration as `GET /quotas` shows it. */
export interface QuotaReport {
  readonly defaultTier: string;
  readonly tiers: Readonly<Record<string, TenantQuotaConfig>>;
  readonly overrides: Readonly<Record<string, TenantOverride<string>>>;
  readonly tierRules: ReadonlyArray<{ pattern: string; tier: string }>;
}
