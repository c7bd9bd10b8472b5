/**
 * `@aurum/ratelimit-core`: what an application author needs — the manager and its options,
 * decisions and reports, errors, tiers, the memory store, environment loading and the observer
 * and logger interfaces. Store authors import `@aurum/ratelimit-core/store`, adapter authors
 * `@aurum/ratelimit-core/adapter`. The list is pinned by test/public-surface.test.ts and
 * explained in docs/api-surface.md: add a name here only when an application needs it.
 */
export type { AdminOptions, AdminRequest } from './admin/admin-options.js';
export type { DenyReason } from './algorithms/gcra.js';
export type { CircuitBreakerOptions } from './breaker/breaker-options.js';
export { CIRCUIT_STATE_VALUE, type CircuitState, type CircuitStateChange } from './breaker/circuit-state.js';
export type { Clock, Timers } from './clock.js';
export type { RateLimitEnvConfig } from './config/env/env-config.js';
export { loadConfigFromEnv } from './config/env/load.js';
export { ENV_PREFIX, ENV_VARS, REDIS_URL_VAR } from './config/env/variables.js';
export {
  AdminDisabledError,
  AurumError,
  type AurumErrorCode,
  ClosedError,
  type ConfigIssue,
  InvalidArgumentError,
  InvalidTenantError,
  isAurumError,
  RateLimitConfigError,
  StoreTimeoutError,
  StoreUnavailableError,
} from './errors.js';
export type { AnonymousMode, AnonymousPolicy, ProblemFormat, RateLimitHttpOptions, RefusalOptions } from './http/http-options.js';
export type { LimitKind, RateLimitInfo, RefusalInfo } from './http/rate-limit-info.js';
export type { RateLimitOptions } from './http/rate-limit-options.js';
export { floorForBoost, loadFactor } from './load/adjust.js';
export type { LoadReport } from './load/load-control.js';
export type { AdaptiveConcurrencyOptions, BuiltinLoadSignal, LoadOptions } from './load/load-options.js';
export type { LoadSignal } from './load/signals.js';
export type { Admission, ConcurrencySlot, LimitReason, RateLimitDecision, RateLimitMetadata } from './manager/decision.js';
export { getRateLimitManager, setRateLimitManager } from './manager/default-manager.js';
export { createRateLimitManager, RateLimitManager } from './manager/manager.js';
export type { RateLimitManagerOptions } from './manager/manager-options.js';
export type { CheckOptions, HealthReport, QuotaReport, Readiness, RefundOptions, TenantStatus, TenantSummary } from './manager/reports.js';
export type { Subject } from './manager/subject.js';
export type { ListTenantsOptions, TenantPage } from './manager/tenant-page.js';
export { consoleLogger, type LogLevel } from './observe/console-logger.js';
export type { Logger } from './observe/logger.js';
export type { ConcurrencyEvent, DecisionEvent, LoadEvent, RateLimitObserver } from './observe/observer.js';
export type { BucketQuota, RouteRule } from './routing/route-rules.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export type { FailMode } from './store/degraded-path.js';
export type { StoreFailure } from './store/resilient-options.js';
export type { DecisionSource, RateLimitStore } from './store/types.js';
export type { TrustProxy } from './tenant/client-address.js';
export type { TenantIdRules } from './tenant/tenant-id.js';
export type { LookupFailure, ResolveTier, TierRule } from './tenant/tier-resolver.js';
export {
  DEFAULT_TIER_QUOTAS,
  type DefaultTier,
  isTier,
  type NewTierQuota,
  type TenantOverride,
  type TenantQuotaConfig,
  type Tier,
  type TierRegistry,
  type TierTable,
  TIERS,
} from './tiers.js';
