import { type CircuitBreakerOptions, checkBreakerOptions, withoutBreakerAlias } from '../breaker/circuit-breaker.js';
import { type Clock, systemClock, systemTimers, type Timers } from '../clock.js';
import { RateLimitConfigError } from '../errors.js';
import { consoleLogger, defaultLogLevel } from '../observe/console-logger.js';
import type { Logger } from '../observe/logger.js';
import type { RateLimitObserver } from '../observe/observer.js';
import { BUCKET_NAME, type RouteRule } from '../routing/route-rules.js';
import type { FailMode } from '../store/resilient-store.js';
import type { RateLimitStore } from '../store/types.js';
import { tenantIdProblem, type TenantIdRules } from '../tenant/tenant-id.js';
import type { ResolveTier, TierRule } from '../tenant/tier-resolver.js';
import type { TenantOverride, TenantQuotaConfig } from '../tiers.js';
import {
  checkBoolean,
  checkFunction,
  checkKnownKeys,
  checkOneOf,
  checkOverrideWindow,
  checkQuota,
  checkTier,
  checkTimerMs,
  checkWhole,
  Issues,
  isPlainObject,
  MAX_FALLBACK_SHARE,
} from './checks.js';
import type { RateLimitEnvConfig } from './env/env-config.js';
import { loadConfigFromEnv } from './env/load.js';
import { resolveLeasing } from './resolve-leasing.js';
import { resolveLoad } from './resolve-load.js';
import { declaredTierNames, resolveTiers } from './resolve-tiers.js';
import { HTTP_OPTION_KEYS } from '../http/http-options.js';
import type { ResolvedLoadConfig } from '../load/load-options.js';
import type { ResolvedLeasing } from '../manager/leasing-options.js';
import { type AnyManagerOptions, MANAGER_OPTION_KEYS } from '../manager/manager-options.js';

/** Manager options after env merge, defaults and validation. */
export interface ResolvedManagerConfig {
  store: RateLimitStore | undefined;
  fallbackStore: RateLimitStore | undefined;
  /** Every tier by name: the four defaults first, then the tiers the options declare. */
  tiers: Record<string, TenantQuotaConfig>;
  defaultTier: string;
  overrides: Record<string, TenantOverride<string>>;
  tierRules: TierRule<string>[];
  resolveTier: ResolveTier<string> | undefined;
  tierCache: { max: number; ttlMs: number };
  lookupTimeoutMs: number;
  routes: RouteRule<string>[];
  caseSensitiveRoutes: boolean;
  shadow: boolean;
  circuitBreaker: CircuitBreakerOptions;
  storeTimeoutMs: number;
  failMode: FailMode;
  fallbackShare: number;
  blockedCache: boolean;
  load: ResolvedLoadConfig;
  leasing: ResolvedLeasing;
  concurrencyLeaseMs: number;
  tenantIdRules: TenantIdRules;
  maxTrackedTenants: number;
  observer: RateLimitObserver | undefined;
  logger: Logger;
  clock: Clock;
  timers: Timers;
  env: RateLimitEnvConfig;
}

const ROUTE_KEYS = ['path', 'method', 'cost', 'bucket', 'quota', 'shadow', 'skip'];

/** Reads the environment (unless `env: false`), merges code options over it, validates everything. */
export function resolveManagerConfig(options: AnyManagerOptions = {}, extraKeys: readonly string[] = []): ResolvedManagerConfig {
  const issues = new Issues();
  if (!isPlainObject(options as unknown)) throw new RateLimitConfigError([{ key: 'options', message: 'must be an object' }]);
  const known = [...MANAGER_OPTION_KEYS, ...extraKeys];
  for (const key of Object.keys(options)) {
    if (!known.includes(key) && (HTTP_OPTION_KEYS as readonly string[]).includes(key) && (options as Record<string, unknown>)[key] !== undefined) {
      issues.add(key, 'is an HTTP option: pass it to an adapter or createHttpRateLimiter, not createRateLimitManager');
    }
  }
  checkKnownKeys(issues, '', Object.fromEntries(Object.entries(options).filter(([k]) => !(HTTP_OPTION_KEYS as readonly string[]).includes(k))), known);

  const tierNames = declaredTierNames(options.tiers);
  const env = options.env === false ? {} : loadConfigFromEnv(options.env ?? process.env, { tiers: tierNames });
  const o = options;

  checkStore(issues, 'store', o.store);
  checkStore(issues, 'fallbackStore', o.fallbackStore);

  const tiers = resolveTiers(issues, o.tiers, env.tiers);

  checkTier(issues, 'defaultTier', o.defaultTier, tierNames);
  const overrides: Record<string, TenantOverride<string>> = {};
  if (o.overrides !== undefined && issues.check(isPlainObject(o.overrides), 'overrides', 'must be an object keyed by tenant id')) {
    for (const [id, quota] of Object.entries(o.overrides)) {
      const problem = tenantIdProblem(id, o.tenantIdRules);
      issues.check(problem === undefined, `overrides.${id}`, `tenant id ${problem}`);
      checkQuota(issues, `overrides.${id}`, quota, ['tier']);
      if (isPlainObject(quota)) {
        checkTier(issues, `overrides.${id}.tier`, quota.tier, tierNames);
        checkOverrideWindow(issues, `overrides.${id}`, quota, tiers);
      }
      overrides[id] = { ...quota };
    }
  }

  const tierRules = o.tierRules ?? env.tierRules ?? [];
  if (issues.check(Array.isArray(tierRules), 'tierRules', 'must be an array of { pattern, tier }')) {
    tierRules.forEach((rule, i) => {
      const key = `tierRules[${i}]`;
      if (!issues.check(isPlainObject(rule), key, 'must be { pattern, tier }')) return;
      checkKnownKeys(issues, key, rule as unknown as Record<string, unknown>, ['pattern', 'tier']);
      issues.check(
        rule.pattern instanceof RegExp || (typeof rule.pattern === 'string' && rule.pattern !== ''),
        `${key}.pattern`,
        'must be a RegExp or a non-empty glob string',
      );
      if (rule.tier === undefined) issues.add(`${key}.tier`, 'is required');
      else checkTier(issues, `${key}.tier`, rule.tier, tierNames);
    });
  }
  checkFunction(issues, 'resolveTier', o.resolveTier);
  if (o.tierCache !== undefined && issues.check(isPlainObject(o.tierCache), 'tierCache', 'must be an object')) {
    checkKnownKeys(issues, 'tierCache', o.tierCache, ['max', 'ttlMs']);
    checkWhole(issues, 'tierCache.max', o.tierCache.max, 1, 100_000_000);
    checkTimerMs(issues, 'tierCache.ttlMs', o.tierCache.ttlMs);
  }

  checkTimerMs(issues, 'lookupTimeoutMs', o.lookupTimeoutMs);

  const routes = o.routes ?? [];
  if (issues.check(Array.isArray(routes), 'routes', 'must be an array of route rules')) {
    for (const [i, r] of routes.entries()) checkRoute(issues, `routes[${i}]`, r, tierNames);
  }
  checkBoolean(issues, 'caseSensitiveRoutes', o.caseSensitiveRoutes);
  checkBoolean(issues, 'shadow', o.shadow);

  // Aliases resolved first, so a code `failureThreshold` wins over an env minimumCalls.
  const breaker = { ...env.circuitBreaker, ...withoutBreakerAlias(o.circuitBreaker ?? {}) };
  if (o.circuitBreaker !== undefined && issues.check(isPlainObject(o.circuitBreaker), 'circuitBreaker', 'must be an object')) {
    checkKnownKeys(issues, 'circuitBreaker', o.circuitBreaker as Record<string, unknown>, [
      'failureRateThreshold',
      'minimumCalls',
      'slidingWindowMs',
      'failureThreshold',
      'resetTimeoutMs',
      'halfOpenProbes',
      'slowCallMs',
    ]);
    checkBreakerOptions(o.circuitBreaker, 'circuitBreaker', issues.list);
  }
  checkTimerMs(issues, 'storeTimeoutMs', o.storeTimeoutMs);
  checkOneOf(issues, 'failMode', o.failMode, ['fallback', 'open', 'closed']);
  checkWhole(issues, 'fallbackShare', o.fallbackShare, 1, MAX_FALLBACK_SHARE);
  checkBoolean(issues, 'blockedCache', o.blockedCache);
  const load = resolveLoad(issues, o.load, env, o.store, tierNames);
  const leasing = resolveLeasing(issues, o.leasing, env.leasing, o.store, tierNames);
  checkTimerMs(issues, 'concurrencyLeaseMs', o.concurrencyLeaseMs);
  if (o.tenantIdRules !== undefined && issues.check(isPlainObject(o.tenantIdRules), 'tenantIdRules', 'must be an object')) {
    checkKnownKeys(issues, 'tenantIdRules', o.tenantIdRules as Record<string, unknown>, ['maxLength', 'pattern']);
    checkWhole(issues, 'tenantIdRules.maxLength', o.tenantIdRules.maxLength, 1, 1024);
    issues.check(o.tenantIdRules.pattern === undefined || o.tenantIdRules.pattern instanceof RegExp, 'tenantIdRules.pattern', 'must be a RegExp');
  }
  checkWhole(issues, 'maxTrackedTenants', o.maxTrackedTenants, 1, 100_000_000);
  if (o.observer !== undefined) issues.check(isPlainObject(o.observer), 'observer', 'must be an object of hooks');
  if (o.logger !== undefined) {
    issues.check(
      isPlainObject(o.logger) && ['debug', 'info', 'warn', 'error'].every((m) => typeof (o.logger as unknown as Record<string, unknown>)[m] === 'function'),
      'logger',
      'must have debug, info, warn and error methods (pino-compatible)',
    );
  }
  if (o.clock !== undefined) issues.check(typeof o.clock?.now === 'function', 'clock', 'must have a now() method');
  if (o.env !== undefined && o.env !== false) issues.check(isPlainObject(o.env), 'env', 'must be an object or false');

  if (issues.list.length > 0) throw new RateLimitConfigError(issues.list);

  return {
    store: o.store,
    fallbackStore: o.fallbackStore,
    tiers,
    defaultTier: o.defaultTier ?? env.defaultTier ?? 'free',
    overrides,
    tierRules,
    resolveTier: o.resolveTier,
    tierCache: { max: o.tierCache?.max ?? 10_000, ttlMs: o.tierCache?.ttlMs ?? 60_000 },
    lookupTimeoutMs: o.lookupTimeoutMs ?? env.lookupTimeoutMs ?? 100,
    routes,
    caseSensitiveRoutes: o.caseSensitiveRoutes ?? false,
    shadow: o.shadow ?? env.shadow ?? false,
    circuitBreaker: breaker,
    storeTimeoutMs: o.storeTimeoutMs ?? env.storeTimeoutMs ?? 100,
    failMode: o.failMode ?? env.failMode ?? 'fallback',
    fallbackShare: o.fallbackShare ?? env.fallbackShare ?? 1,
    blockedCache: o.blockedCache ?? true,
    load,
    leasing,
    concurrencyLeaseMs: o.concurrencyLeaseMs ?? env.concurrencyLeaseMs ?? 60_000,
    tenantIdRules: o.tenantIdRules ?? {},
    maxTrackedTenants: o.maxTrackedTenants ?? 250_000,
    observer: o.observer,
    logger: o.logger ?? consoleLogger(env.logLevel ?? defaultLogLevel()),
    clock: o.clock ?? systemClock,
    timers: o.timers ?? systemTimers,
    env,
  };
}

function checkStore(issues: Issues, key: string, store: unknown): void {
  if (store === undefined) return;
  const methods = ['consume', 'inspect', 'acquire', 'release', 'countLeases', 'reset', 'ping', 'close'];
  const missing = methods.filter((m) => typeof (store as Record<string, unknown> | null)?.[m] !== 'function');
  issues.check(missing.length === 0, key, `must implement RateLimitStore; missing ${missing.join(', ')}`);
  const combined = (store as Record<string, unknown> | null)?.consumeAndAcquire;
  issues.check(combined === undefined || typeof combined === 'function', `${key}.consumeAndAcquire`, 'must be a function when present');
}

function checkRoute(issues: Issues, key: string, rule: RouteRule<string>, tierNames: readonly string[]): void {
  if (!issues.check(isPlainObject(rule), key, 'must be a route rule object')) return;
  checkKnownKeys(issues, key, rule as unknown as Record<string, unknown>, ROUTE_KEYS);
  issues.check(
    rule.path instanceof RegExp || (typeof rule.path === 'string' && rule.path.startsWith('/')),
    `${key}.path`,
    'must be a RegExp or a path pattern starting with /',
  );
  if (rule.method !== undefined) {
    const methods = typeof rule.method === 'string' ? [rule.method] : rule.method;
    issues.check(
      Array.isArray(methods) && methods.length > 0 && methods.every((m) => typeof m === 'string' && /^[A-Za-z]+$/.test(m)),
      `${key}.method`,
      'must be an HTTP method or a list of them',
    );
  }
  checkWhole(issues, `${key}.cost`, rule.cost);
  if (rule.bucket !== undefined)
    issues.check(
      typeof rule.bucket === 'string' && BUCKET_NAME.test(rule.bucket) && rule.bucket !== 'default',
      `${key}.bucket`,
      `must match ${BUCKET_NAME} and not be "default"`,
    );
  if (rule.quota !== undefined) {
    if (!issues.check(rule.bucket !== undefined, `${key}.quota`, 'needs a bucket: a quota applies to a separate bucket')) return;
    if (!issues.check(isPlainObject(rule.quota), `${key}.quota`, 'must be { requestsPerSecond, burstSize } or keyed by tier')) return;
    const perTier = Object.keys(rule.quota).some((k) => tierNames.includes(k));
    if (perTier) {
      checkKnownKeys(issues, `${key}.quota`, rule.quota as Record<string, unknown>, tierNames);
      for (const [tier, q] of Object.entries(rule.quota)) checkBucketQuota(issues, `${key}.quota.${tier}`, q);
    } else {
      checkBucketQuota(issues, `${key}.quota`, rule.quota);
    }
  }
  checkBoolean(issues, `${key}.shadow`, rule.shadow);
  checkBoolean(issues, `${key}.skip`, rule.skip);
}

function checkBucketQuota(issues: Issues, key: string, q: unknown): void {
  checkQuota(issues, key, q);
  if (isPlainObject(q)) issues.check(q.requestsPerSecond !== undefined && q.burstSize !== undefined, key, 'needs requestsPerSecond and burstSize');
}
