export {
  type AdminMount,
  type AdminRequestSource,
  adminBody,
  assertAdminEnabled,
  type BodySource,
  MAX_ADMIN_BODY_BYTES,
  mountAdmin,
  type NodeResponseLike,
  type ResponseLifecycle,
  readAdminBody,
  releaseWhenDone,
  serveAdmin,
  setHeaders,
  writeResponse,
} from './adapter/index.js';
export type { AdminOptions, AdminRequest } from './admin/admin-options.js';
export { AdminHandler, type AdminHttpRequest, DEFAULT_ADMIN_PREFIX } from './admin/admin-handler.js';
export { bearerToken, secretsEqual } from './admin/auth.js';
export {
  assertValidRequest,
  type BucketPolicy,
  type BucketSnapshot,
  type ConsumeResult,
  type DenyReason,
  emissionIntervalUs,
  gcraConsume,
  gcraSnapshot,
  MAX_RATE,
  MAX_WINDOW_MS,
  MIN_RATE,
} from './algorithms/gcra.js';
export {
  type BreakerPermit,
  CIRCUIT_STATE_VALUE,
  CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
  type CircuitStateChange,
} from './breaker/circuit-breaker.js';
export { type Clock, MAX_TIMER_MS, systemClock, systemTimers, type Timers, unref } from './clock.js';
export type { RateLimitEnvConfig } from './config/env/env-config.js';
export { loadConfigFromEnv } from './config/env/load.js';
export { parseTrustProxy } from './config/env/parsers.js';
export { ENV_PREFIX, ENV_VARS, REDIS_URL_VAR } from './config/env/variables.js';
export type { ResolvedHttpConfig } from './config/resolve-http.js';
export type { ResolvedManagerConfig } from './config/resolve-manager.js';
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
export { ALL_HEADER_FAMILIES, CONCURRENCY_RETRY_AFTER, concurrencyHeaders, type HeaderFamilies, rateLimitHeaders } from './http/headers.js';
export { type AnonymousMode, type AnonymousPolicy, HTTP_OPTION_KEYS, type ProblemFormat, type RateLimitHttpOptions } from './http/http-options.js';
export { createHttpRateLimiter, type HttpOutcome, type HttpRequestInfo, HttpRateLimiter } from './http/http-limiter.js';
export type { RateLimitOptions } from './http/rate-limit-options.js';
export { type HttpResponse, type ProblemInput, type ProblemKind, problemResponse, requestInstance } from './http/problem.js';
export { floorForBoost, loadFactor } from './load/adjust.js';
export { AimdLimit } from './load/aimd.js';
export { LoadControl, type LoadControlDeps, type LoadReport } from './load/load-control.js';
export type { AdaptiveConcurrencyOptions, BuiltinLoadSignal, LoadOptions, ResolvedLoadConfig } from './load/load-options.js';
export { type FleetLoad, LoadMonitor } from './load/load-monitor.js';
export { eventLoopDelay, eventLoopUtilization, inFlight, type LoadSignal, maxOf } from './load/signals.js';
export type { Admission, ConcurrencySlot, LimitReason, RateLimitDecision, RateLimitMetadata } from './manager/decision.js';
export { getRateLimitManager, setRateLimitManager } from './manager/default-manager.js';
export { MANAGER_OPTION_KEYS, type RateLimitManagerOptions } from './manager/manager-options.js';
export {
  type CheckOptions,
  createRateLimitManager,
  type HealthReport,
  type QuotaReport,
  RateLimitManager,
  type TenantStatus,
  type TenantSummary,
} from './manager/manager.js';
export { anonymousSubject, bucketKey, leaseKey, type Subject, tenantSubject } from './manager/subject.js';
export { DEFAULT_TENANT_PAGE_LIMIT, type ListTenantsOptions, MAX_TENANT_PAGE_LIMIT, type TenantPage } from './manager/tenant-page.js';
export { type Logger, silentLogger } from './observe/logger.js';
export type { ConcurrencyEvent, DecisionEvent, LoadEvent, RateLimitObserver } from './observe/observer.js';
export { normalizePath, pathLabel } from './routing/path.js';
export { parseRouteLimits, type RouteLimits } from './routing/route-limits.js';
export { BUCKET_NAME, type BucketQuota, compileRoutePattern, type RouteRule } from './routing/route-rules.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export { type FailMode, ResilientStore, type ResilientStoreOptions, type SourcedConsumeResult, type StoreFailure } from './store/resilient-store.js';
export type { FleetEvent, FleetLoadSnapshot, FleetSync, SeenTenant } from './store/fleet.js';
export type { AdmitRequest, AdmitResult, DecisionSource, LeaseResult, RateLimitStore } from './store/types.js';
export { assertValidAdmitRequest, assertValidLease } from './store/validate.js';
export { withTimeout } from './store/with-timeout.js';
export { clientAddress, type TrustProxy } from './tenant/client-address.js';
export { tenantFromHeaders } from './tenant/identify.js';
export { cidrContains, formatIp, ipGroup, parseCidr, parseIp } from './tenant/ip.js';
export { assertTenantId, DEFAULT_TENANT_ID_MAX_LENGTH, DEFAULT_TENANT_ID_PATTERN, tenantIdProblem, type TenantIdRules } from './tenant/tenant-id.js';
export { compilePattern, type LookupFailure, type ResolveTier, type TierRule } from './tenant/tier-resolver.js';
export { DEFAULT_TIER_QUOTAS, isTier, type TenantOverride, type TenantQuotaConfig, type Tier, TIERS } from './tiers.js';
