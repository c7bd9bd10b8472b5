import type { CircuitBreakerOptions } from '../breaker/circuit-breaker.js';
import type { Clock, Timers } from '../clock.js';
import type { Logger } from '../observe/logger.js';
import type { RateLimitObserver } from '../observe/observer.js';
import type { RouteRule } from '../routing/route-rules.js';
import type { FailMode } from '../store/resilient-store.js';
import type { RateLimitStore } from '../store/types.js';
import type { TrustProxy } from '../tenant/client-address.js';
import type { TenantIdRules } from '../tenant/tenant-id.js';
import type { ResolveTier, TierRule } from '../tenant/tier-resolver.js';
import type { TenantOverride, TenantQuotaConfig, Tier } from '../tiers.js';

/** A built-in load signal (see docs/load-shedding.md). */
export type BuiltinLoadSignal = 'eventLoopUtilization' | 'eventLoopDelay' | 'inFlight';

/** How quotas follow load. See docs/load-shedding.md. */
export interface LoadOptions {
  /** Adjust quotas to load at all. @default true */
  enabled?: boolean;
  /**
   * Signals combined by max, each in [0, 1]: built-in names or your own functions (database
   * pool saturation, say). @default ['eventLoopUtilization']
   */
  signals?: Array<BuiltinLoadSignal | (() => number)>;
  /** A signal of your own: alone it replaces the default signal; beside `signals` it is one more. */
  signal?: () => number;
  /** Event-loop delay (mean, ms) that reads as full load for `eventLoopDelay`. @default 100 */
  delayCeilingMs?: number;
  /** Requests in flight that read as full load for `inFlight` (required with it). */
  inFlightCapacity?: number;
  /** Load at or below which quotas are untouched. @default 0.8 */
  threshold?: number;
  /** Multiplier reached at full load before priority is applied. @default 0.1 */
  minFactor?: number;
  /**
   * Lowest multiplier, for every tier or per tier, so nobody is starved; with 0 the curve alone
   * decides (down to `minFactor ^ (1 / priorityBoost)`). Per-tier floors are applied so a higher priority never gets a lower floor. @default 0.05
   */
  floor?: number | Partial<Record<Tier, number>>;
  /** Milliseconds between samples (an unref'd timer, off the request path). @default 1000 */
  sampleIntervalMs?: number;
  /**
   * Time constant of the moving average over samples, in ms: load must last about this long to
   * count fully, so bursts and pauses do not shed traffic. 0 uses each sample as is. @default 5000
   */
  smoothingMs?: number;
  /**
   * With a shared store (Redis): publish this instance's load and decide on the fleet's mean
   * load instead, so one hot instance does not shed alone and a saturated fleet sheds together.
   * @default false
   */
  fleet?: boolean;
  /** Status of a request denied while quotas are reduced for load. @default 503 */
  shedStatus?: 429 | 503;
  /**
   * An extra, per-process guard: a limit on requests in flight that adapts to latency (AIMD, as
   * in Netflix's concurrency-limits). `true` uses the defaults. Off unless set. See
   * docs/load-shedding.md#adaptive-concurrency. @default false
   */
  adaptiveConcurrency?: boolean | AdaptiveConcurrencyOptions;
}

/**
 * AIMD concurrency limit: each request that completes within `targetLatencyMs` while the limit
 * is at least half used raises the limit by one; a slower one cuts it to `limit × backoff` (at
 * most once per `targetLatencyMs`). A tenant may fill `min(1, priorityBoost)` of the limit, so
 * free traffic (boost 0.5) can take at most half of it.
 */
export interface AdaptiveConcurrencyOptions {
  /** @default 100 (within [minLimit, maxLimit]) */
  initialLimit?: number;
  /** @default 2 */
  minLimit?: number;
  /** @default 1000 */
  maxLimit?: number;
  /** Completion time above which a request counts as a congestion signal, in ms. @default 200 */
  targetLatencyMs?: number;
  /** Multiplier applied on congestion, in (0, 1). @default 0.9 */
  backoff?: number;
}

/** Options of {@link createRateLimitManager}. Everything is optional; environment variables fill the gaps. */
export interface RateLimitManagerOptions {
  /** Shared store (Redis). Wrapped in a breaker, timeout and memory fallback unless it is local. @default new MemoryStore() */
  store?: RateLimitStore;
  /** Store used while `store` fails. @default new MemoryStore() */
  fallbackStore?: RateLimitStore;
  /** Per-tier quota changes, merged over the defaults (and env). */
  tiers?: Partial<Record<Tier, Partial<TenantQuotaConfig>>>;
  /** Tier of a tenant no rule or lookup places. @default 'free' */
  defaultTier?: Tier;
  /** Per-tenant quota overrides; they beat tier rules and `resolveTier`. */
  overrides?: Record<string, TenantOverride>;
  /** Ordered tenant-id patterns → tier; first match wins. */
  tierRules?: TierRule[];
  /** Asked (and cached) for tenants no rule matches. */
  resolveTier?: ResolveTier;
  /**
   * Longest wait for a user lookup on the request path (`resolveTier`, and the HTTP option
   * `resolveTenant`), in ms. A late or failing `resolveTier` gives the tenant's last known tier
   * (else the default tier) and keeps refreshing in the background; a late `resolveTenant` treats
   * the request as anonymous. Whole ms. @default 100 (env `AURUM_API_RATE_LIMIT_LOOKUP_TIMEOUT_MS`)
   */
  lookupTimeoutMs?: number;
  /** Cache of `resolveTier` answers. @default { max: 10000, ttlMs: 60000 } */
  tierCache?: { max?: number; ttlMs?: number };
  /** Per-route cost, separate buckets, shadow mode or skipping; first match wins. */
  routes?: RouteRule[];
  /** Match route patterns case-sensitively. @default false, so `/V1/X` cannot dodge a rule on `/v1/x` */
  caseSensitiveRoutes?: boolean;
  /** Decide and report but never block. @default false */
  shadow?: boolean;
  /** Breaker around the shared store. */
  circuitBreaker?: CircuitBreakerOptions;
  /** Longest wait for one shared-store call, in ms. @default 100 */
  storeTimeoutMs?: number;
  /** Behaviour when the shared store cannot answer. @default 'fallback' */
  failMode?: FailMode;
  /** Expected instance count; the fallback grants each 1/share of every limit. @default 1 */
  fallbackShare?: number;
  /**
   * Deny locally, without a round trip, a key the shared store denied until T, until T: a tenant
   * hammering past its limit costs Redis nothing. @default true
   */
  blockedCache?: boolean;
  load?: LoadOptions;
  /** Lifetime of a concurrency lease that is never released (crashed process), in ms. @default 60000 */
  concurrencyLeaseMs?: number;
  /** Tenant id length and character rules. */
  tenantIdRules?: TenantIdRules;
  /**
   * Tenants whose resolved tier, quota and keys are kept between requests (and, without a shared
   * store, listed by `listTenants`). Set it at or above your active tenant count: a tenant beyond it is
   * re-validated and re-resolved on each request. @default 250000
   */
  maxTrackedTenants?: number;
  observer?: RateLimitObserver;
  /** A pino-compatible logger. @default silent */
  logger?: Logger;
  clock?: Clock;
  timers?: Timers;
  /** Environment to read `AURUM_API_*` variables from, or `false` to ignore the environment. @default process.env */
  env?: Record<string, string | undefined> | false;
}

/** What to do with requests that carry no tenant. */
export type AnonymousMode = 'ip' | 'shared' | 'reject';

export interface AnonymousPolicy {
  /** `ip` (default): a bucket per client address group; `shared`: one bucket; `reject`: 400. */
  mode?: AnonymousMode;
  /** @default 'free' */
  tier?: Tier;
  /** IPv4 addresses sharing a bucket: /32 is one address each. @default 32 */
  ipv4Prefix?: number;
  /** IPv6 addresses sharing a bucket; /56 is a typical customer delegation. @default 56 */
  ipv6Prefix?: number;
}

/** Body shape of 4xx/5xx answers. */
export type ProblemFormat = 'aurum' | 'rfc9457';

/** A request as admin auth sees it. */
export interface AdminRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface AdminOptions {
  /** Mount point. @default '/admin/ratelimit' */
  prefix?: string;
  /** Bearer token, compared in constant time. @default env AURUM_API_RATE_LIMIT_ADMIN_TOKEN */
  token?: string;
  /** Custom check instead of (or besides) the token. */
  authorize?: (request: AdminRequest) => boolean | Promise<boolean>;
}

/** HTTP-level options shared by every adapter. `Req` is the framework's request type. */
export interface RateLimitHttpOptions<Req = unknown> {
  /** Headers carrying the tenant id, first present wins. @default ['X-Tenant-ID', 'X-Aurum-Tenant'] */
  tenantHeaders?: string[];
  /**
   * Reads the tenant from the request (an authenticated principal, say). When set, headers are
   * not read unless `tenantHeaders` is also set. Return `undefined` for "no tenant".
   */
  resolveTenant?: (req: Req) => string | undefined | null | Promise<string | undefined | null>;
  /** Requests without a tenant. @default { mode: 'ip', tier: 'free', ipv4Prefix: 32, ipv6Prefix: 56 } */
  anonymous?: AnonymousMode | AnonymousPolicy;
  /** Whether to believe `X-Forwarded-For`. @default false */
  trustProxy?: TrustProxy;
  /** Header whose value becomes the problem body's `instance`. @default 'X-Request-ID' */
  requestIdHeader?: string;
  /** @default 'aurum' (the seed's `{"error":{…}}` body) */
  problemFormat?: ProblemFormat;
  /** Header families to send; `false` sends only what a denial needs. @default all true */
  headers?: boolean | { legacy?: boolean; ietf?: boolean; tenant?: boolean };
  /** Hold a concurrency slot per request (released when the response ends or the client aborts). @default true */
  concurrency?: boolean;
  /** Return true to let a request through unlimited. */
  skip?: (req: Req) => boolean | Promise<boolean>;
  /** Cost of a request (beats route rules); `undefined` falls through to them. */
  cost?: (req: Req) => number | undefined;
  /** Admin routes, or `false` not to mount them. Refuse everything unless `token` or `authorize` is set. */
  admin?: false | AdminOptions;
}

/** Everything an adapter accepts: a ready `manager`, or the options to build one. */
export type RateLimitOptions<Req = unknown> = RateLimitHttpOptions<Req> &
  RateLimitManagerOptions & {
    /** A manager to use; then no manager options may be given. */
    manager?: import('../manager/manager.js').RateLimitManager;
  };

export const MANAGER_OPTION_KEYS = [
  'store',
  'fallbackStore',
  'tiers',
  'defaultTier',
  'overrides',
  'tierRules',
  'resolveTier',
  'tierCache',
  'lookupTimeoutMs',
  'routes',
  'caseSensitiveRoutes',
  'shadow',
  'circuitBreaker',
  'storeTimeoutMs',
  'failMode',
  'fallbackShare',
  'blockedCache',
  'load',
  'concurrencyLeaseMs',
  'tenantIdRules',
  'maxTrackedTenants',
  'observer',
  'logger',
  'clock',
  'timers',
  'env',
] as const;

export const HTTP_OPTION_KEYS = [
  'tenantHeaders',
  'resolveTenant',
  'anonymous',
  'trustProxy',
  'requestIdHeader',
  'problemFormat',
  'headers',
  'concurrency',
  'skip',
  'cost',
  'admin',
] as const;
