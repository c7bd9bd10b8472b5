// The manager's option types, kept apart from manager.ts so config/ can validate them without
// importing the manager (which imports config/).
import type { CircuitBreakerOptions } from '../breaker/circuit-breaker.js';
import type { Clock, Timers } from '../clock.js';
import type { LoadOptions } from '../load/load-options.js';
import type { LeasingOptions } from './leasing-options.js';
import type { Logger } from '../observe/logger.js';
import type { RateLimitObserver } from '../observe/observer.js';
import type { RouteRule } from '../routing/route-rules.js';
import type { FailMode } from '../store/resilient-store.js';
import type { RateLimitStore } from '../store/types.js';
import type { TenantIdRules } from '../tenant/tenant-id.js';
import type { ResolveTier, TierRule } from '../tenant/tier-resolver.js';
import type { TenantOverride, Tier, TierTable } from '../tiers.js';

/**
 * Options of {@link createRateLimitManager}. Everything is optional; environment variables fill the gaps.
 *
 * `T` is the tier names of your own that `tiers` declares (inferred when the options are written
 * in the call): every other option that names a tier accepts them, and a typo fails to compile.
 */
export interface RateLimitManagerOptions<T extends string = never> {
  /** Shared store (Redis). Wrapped in a breaker, timeout and memory fallback unless it is local. @default new MemoryStore() */
  store?: RateLimitStore;
  /** Store used while `store` fails. @default new MemoryStore() */
  fallbackStore?: RateLimitStore;
  /**
   * The tier table: changes to the four default tiers (merged over the defaults and env), and
   * tiers of your own under any name (`gold`, `internal`, `partner`), each with a full quota.
   * Under load a tier is shed by its `priorityBoost`.
   */
  tiers?: TierTable<T>;
  /** Tier of a tenant no rule or lookup places. @default 'free' */
  defaultTier?: NoInfer<Tier | T>;
  /** Per-tenant quota overrides; they beat tier rules and `resolveTier`. */
  overrides?: Record<string, TenantOverride<NoInfer<Tier | T>>>;
  /** Ordered tenant-id patterns → tier; first match wins. */
  tierRules?: TierRule<NoInfer<Tier | T>>[];
  /** Asked (and cached) for tenants no rule matches. */
  resolveTier?: ResolveTier<NoInfer<Tier | T>>;
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
  routes?: RouteRule<NoInfer<Tier | T>>[];
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
  load?: LoadOptions<NoInfer<Tier | T>>;
  /**
   * Quota leasing for hot tenants: an instance that sees a tenant often takes a batch of its
   * tokens in one store call and spends them locally (docs/scaling.md). Exact: the fleet never
   * admits more than the quota; a leased tenant's burst is reduced by what its bucket refills in
   * one lease life (5 % by default). Every instance of a fleet must use the same setting.
   * @default on with a shared store that can take tokens (RedisStore), for tenants of at least
   * 1000 requests/s outside the free tier (env `AURUM_API_RATE_LIMIT_LEASING`)
   */
  leasing?: boolean | LeasingOptions<NoInfer<Tier | T>>;
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
  /**
   * A pino-compatible logger. @default a console logger printing the start-up summary, breaker
   * changes and store errors (each recurring problem once per 10 s); its level comes from
   * `AURUM_API_RATE_LIMIT_LOG_LEVEL` (`debug`, `info`, `warn`, `error`, `silent`), else `info`
   * (`warn` under `NODE_ENV=test`)
   */
  logger?: Logger;
  clock?: Clock;
  timers?: Timers;
  /** Environment to read `AURUM_API_*` variables from, or `false` to ignore the environment. @default process.env */
  env?: Record<string, string | undefined> | false;
}

/** Options with any tier names, as validation sees them (`tiers` is checked at run time). */
export type AnyManagerOptions = Omit<RateLimitManagerOptions<string>, 'tiers'> & { tiers?: unknown };

/** Every key of {@link RateLimitManagerOptions}, for unknown-key checks. */
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
  'leasing',
  'concurrencyLeaseMs',
  'tenantIdRules',
  'maxTrackedTenants',
  'observer',
  'logger',
  'clock',
  'timers',
  'env',
] as const satisfies readonly (keyof RateLimitManagerOptions)[];
