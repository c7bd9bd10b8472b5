import type { BucketPolicy } from '../algorithms/gcra.js';
import { CircuitBreaker, type CircuitState } from '../breaker/circuit-breaker.js';
import { checkQuota, Issues } from '../config/checks.js';
import type { RateLimitManagerOptions } from '../config/options.js';
import { type ResolvedManagerConfig, resolveManagerConfig } from '../config/resolve-manager.js';
import { ClosedError, InvalidArgumentError, RateLimitConfigError, StoreUnavailableError } from '../errors.js';
import { eventLoopUtilization, LoadMonitor, loadFactor } from '../load/load-monitor.js';
import { unref } from '../clock.js';
import { type Logger, silentLogger } from '../observe/logger.js';
import { type RateLimitObserver, safely } from '../observe/observer.js';
import { normalizePath, pathLabel } from '../routing/path.js';
import { BUCKET_NAME, type BucketQuota, type CompiledRouteRule, compileRouteRules, matchRouteRule } from '../routing/route-rules.js';
import { MemoryStore } from '../store/memory-store.js';
import { ResilientStore, type SourcedConsumeResult } from '../store/resilient-store.js';
import type { FleetEvent, FleetSync } from '../store/fleet.js';
import type { RateLimitStore } from '../store/types.js';
import { assertTenantId } from '../tenant/tenant-id.js';
import { TierResolver } from '../tenant/tier-resolver.js';
import { type TenantOverride, type TenantQuotaConfig, type Tier, TIERS } from '../tiers.js';
import { BoundedMap } from '../util/lru.js';
import type { ConcurrencySlot, RateLimitDecision, RateLimitMetadata } from './decision.js';
import { anonymousSubject, bucketKey, leaseKey, type Subject, tenantSubject } from './subject.js';

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

/** What the manager remembers about a tenant it has seen (bounded, most recent kept). */
export interface TenantSummary {
  readonly tenantId: string;
  readonly key: string;
  readonly tier: Tier;
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
  readonly tier: Tier;
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
}

/** Process health as the admin API and health checks report it. */
export interface HealthReport {
  /** `degraded` while the breaker is not closed (decisions come from the fallback). */
  readonly status: 'ok' | 'degraded';
  readonly store: string;
  readonly circuitBreaker: CircuitState;
  readonly cacheFailures: number;
  readonly consecutiveFailures: number;
  readonly systemLoad: number;
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
  readonly defaultTier: Tier;
  readonly tiers: Readonly<Record<Tier, TenantQuotaConfig>>;
  readonly overrides: Readonly<Record<string, TenantOverride>>;
  readonly tierRules: ReadonlyArray<{ pattern: string; tier: Tier }>;
}

interface MutableSummary {
  tenantId: string;
  key: string;
  tier: Tier;
  anonymous: boolean;
  lastSeen: number;
  allowed: number;
  denied: number;
  buckets: Set<string>;
}

/**
 * The rate limiter: tier detection, quotas, load adjustment and route rules in front of a
 * store. Framework adapters call {@link checkRateLimit} and {@link acquireConcurrency}.
 */
export class RateLimitManager {
  readonly config: ResolvedManagerConfig;
  /** The store decisions go through (a {@link ResilientStore} around a shared store). */
  readonly store: RateLimitStore;
  readonly breaker: CircuitBreaker;
  private readonly overrides = new Map<string, TenantOverride>();
  private readonly tierResolver: TierResolver;
  private readonly routes: CompiledRouteRule[];
  private readonly routeBuckets: string[];
  private readonly seen: BoundedMap<string, MutableSummary>;
  private readonly loadMonitor: LoadMonitor | undefined;
  private readonly observer: RateLimitObserver | undefined;
  private readonly fleet: FleetSync | undefined;
  private readonly unsubscribeFleet: (() => void) | undefined;
  /** Resolves once fleet-wide overrides are loaded from the shared store (at once without one). */
  readonly ready: Promise<void>;
  private closed = false;
  private decisions = 0;
  /** Per-decision debug logs only when the logger would print them (pino's isLevelEnabled), never with the silent default. */
  private get debug(): boolean {
    const logger = this.config.logger as Logger & { isLevelEnabled?: (level: string) => boolean };
    return logger !== silentLogger && (logger.isLevelEnabled?.('debug') ?? true);
  }

  constructor(options: RateLimitManagerOptions = {}, extraOptionKeys: readonly string[] = []) {
    const config = resolveManagerConfig(options, extraOptionKeys);
    this.config = config;
    this.observer = config.observer;
    const { clock, timers, logger } = config;
    this.breaker = new CircuitBreaker({
      ...config.circuitBreaker,
      clock,
      onStateChange: (change) => {
        logger.warn({ from: change.from, to: change.to, reason: change.reason }, `rate limit circuit breaker ${change.to}`);
        safely(() => this.observer?.onCircuitStateChange?.(change));
      },
    });
    const primary = config.store ?? new MemoryStore({ clock, timers });
    this.store = isLocal(primary)
      ? primary
      : new ResilientStore({
          primary,
          ...(config.fallbackStore && { fallback: config.fallbackStore }),
          breaker: this.breaker,
          timeoutMs: config.storeTimeoutMs,
          failMode: config.failMode,
          fallbackShare: config.fallbackShare,
          blockedCache: config.blockedCache,
          clock,
          timers,
          logger,
          onFailure: (failure) => safely(() => this.observer?.onStoreFailure?.({ ...failure, store: primary.name })),
        });
    for (const [id, quota] of Object.entries(config.overrides)) this.overrides.set(id, quota);
    this.tierResolver = new TierResolver({
      rules: config.tierRules,
      ...(config.resolveTier && { resolveTier: config.resolveTier }),
      defaultTier: config.defaultTier,
      cacheSize: config.tierCache.max,
      cacheTtlMs: config.tierCache.ttlMs,
      clock,
      logger,
    });
    this.routes = compileRouteRules(config.routes, config.caseSensitiveRoutes);
    this.routeBuckets = [...new Set(config.routes.flatMap((r) => (r.bucket ? [r.bucket] : [])))];
    this.seen = new BoundedMap(config.maxTrackedTenants);
    this.fleet = this.store.fleet;
    if (this.fleet) {
      this.unsubscribeFleet = this.fleet.subscribe((event) => void this.applyFleetEvent(event));
      this.ready = this.loadFleetOverrides(this.fleet);
    } else {
      this.ready = Promise.resolve();
    }
    if (config.load.enabled) {
      this.loadMonitor = new LoadMonitor(config.load.signal ?? eventLoopUtilization(), config.load.sampleIntervalMs, clock, (load) =>
        safely(() => this.observer?.onLoad?.(load)),
      );
    }
  }

  /** A validated tenant subject; throws {@link InvalidTenantError} for a bad id. */
  tenant(tenantId: string): Subject {
    return tenantSubject(assertTenantId(tenantId, this.config.tenantIdRules));
  }

  /** The subject for an anonymous client group (`ip:203.0.113.7`, `shared`). */
  anonymous(group: string, tier: Tier = 'free'): Subject {
    return anonymousSubject(group, tier);
  }

  /**
   * Decides one request: takes its cost from the tenant's bucket.
   * @param tenant tenant id (validated) or a subject from {@link tenant} / {@link anonymous}
   * @param path request path; normalised before route rules are matched
   * @throws InvalidTenantError for a bad tenant id; InvalidArgumentError for a bad cost;
   *   StoreUnavailableError only with `failMode: 'closed'`
   */
  async checkRateLimit(tenant: string | Subject, path = '/', options: CheckOptions = {}): Promise<RateLimitDecision> {
    this.assertOpen();
    const subject = typeof tenant === 'string' ? this.tenant(tenant) : tenant;
    const normalized = normalizePath(path);
    const rule = matchRouteRule(this.routes, normalized, options.method);
    const resolved = this.tierOf(subject);
    const tier = typeof resolved === 'string' ? resolved : await resolved;
    const route = options.route ?? rule?.label ?? pathLabel(normalized);
    if (rule?.rule.skip) return skippedDecision(subject, tier, normalized, route);

    const cost = options.cost ?? rule?.rule.cost ?? 1;
    if (!(Number.isSafeInteger(cost) && cost >= 1)) throw new InvalidArgumentError(`cost must be a whole number >= 1, got ${String(cost)}`);
    const bucket = options.bucket ?? rule?.rule.bucket ?? 'default';
    if (options.bucket !== undefined && !BUCKET_NAME.test(options.bucket)) {
      throw new InvalidArgumentError(`bucket must match ${BUCKET_NAME}, got ${JSON.stringify(options.bucket)}`);
    }
    const quota = this.quotaOf(subject, tier);
    const bucketQuota = (rule?.rule.bucket === bucket && rule.rule.quota && quotaForTier(rule.rule.quota, tier)) || quota;
    const factor = this.loadMonitor ? loadFactor(this.loadMonitor.load, this.config.load.threshold, this.config.load.minFactor, quota.priorityBoost) : 1;
    const policy: BucketPolicy = { rate: bucketQuota.requestsPerSecond * factor, burst: bucketQuota.burstSize };

    // Timed only when someone listens, and only one decision in eight: two clock reads are a
    // real share of a memory decision, and a sample is as good for a latency histogram.
    const timed = this.observer?.onDecision !== undefined && (++this.decisions & 7) === 0;
    const started = timed ? performance.now() : 0;
    const result = (await this.store.consume(bucketKey(subject, bucket), policy, cost)) as SourcedConsumeResult;
    const shadow = this.config.shadow || rule?.rule.shadow === true;
    const exceeded = !result.allowed;
    const allowed = !exceeded || shadow;
    const reason = exceeded ? (result.reason ?? (factor < 1 ? 'load_shed' : 'rate_limited')) : undefined;
    const metadata: RateLimitMetadata = {
      allowed,
      tenantId: subject.tenantId,
      tier,
      anonymous: subject.anonymous,
      path: normalized,
      route,
      bucket,
      policy: bucket === 'default' ? tier : `${tier}-${bucket}`,
      cost,
      limit: result.limit,
      remaining: result.remaining,
      requestsPerSecond: policy.rate,
      windowSeconds: Math.max(1, Math.ceil(policy.burst / policy.rate)),
      resetAfter: Math.ceil(result.resetAfterMs / 1000),
      resetAfterMs: result.resetAfterMs,
      retryAfterMs: result.retryAfterMs,
      loadFactor: factor,
      source: result.source ?? 'primary',
      exceeded,
      shadow,
      skipped: false,
      ...(timed && { durationMs: performance.now() - started }),
      ...(reason && { reason }),
    };
    this.remember(subject, tier, bucket, allowed);
    if (this.debug) this.config.logger.debug({ ...metadata, allowed }, 'rate limit decision');
    if (this.observer?.onDecision) {
      safely(() => this.observer?.onDecision?.(metadata));
    }
    return { allowed, retryAfter: allowed ? 0 : Math.max(1, Math.ceil(result.retryAfterMs / 1000)), metadata };
  }

  /**
   * Takes one of the tenant's concurrency slots (its `maxConcurrentRequests`). Call `release()`
   * when the work ends; a slot never released expires after `concurrencyLeaseMs`.
   */
  async acquireConcurrency(tenant: string | Subject): Promise<ConcurrencySlot> {
    this.assertOpen();
    const subject = typeof tenant === 'string' ? this.tenant(tenant) : tenant;
    const resolved = this.tierOf(subject);
    const tier = typeof resolved === 'string' ? resolved : await resolved;
    const limit = this.quotaOf(subject, tier).maxConcurrentRequests;
    const key = leaseKey(subject);
    const lease = await this.store.acquire(key, limit, this.config.concurrencyLeaseMs);
    safely(() => this.observer?.onConcurrency?.({ tenantId: subject.tenantId, tier, allowed: lease.allowed, active: lease.active, limit }));
    let released = lease.leaseId === undefined;
    return {
      allowed: lease.allowed,
      active: lease.active,
      limit,
      tenantId: subject.tenantId,
      tier,
      release: async () => {
        if (released) return;
        released = true;
        await this.store.release(key, lease.leaseId as string);
      },
    };
  }

  /** Status of one tenant, read from the store without consuming. */
  async getTenantStatus(tenantId: string): Promise<TenantStatus> {
    this.assertOpen();
    const subject = this.tenant(tenantId);
    const tier = await this.tierOf(subject);
    const quota = this.quotaOf(subject, tier);
    const policy = { rate: quota.requestsPerSecond, burst: quota.burstSize };
    const summary = this.seen.get(subject.key, this.config.clock.now());
    const buckets = ['default', ...this.routeBuckets, ...(summary?.buckets ?? [])].filter((b, i, all) => all.indexOf(b) === i);
    const snapshots = await Promise.all(buckets.map((b) => this.store.inspect(bucketKey(subject, b), policy)));
    const main = snapshots[0] ?? { limit: quota.burstSize, remaining: quota.burstSize, resetAfterMs: 0 };
    const activeWindows = snapshots.filter((s) => s.resetAfterMs > 0).length;
    const activeConcurrency = await this.store.countLeases(leaseKey(subject));
    const overridden = this.overrides.has(subject.tenantId);
    let lastSeen = summary?.lastSeen ?? null;
    if (this.fleet?.lastSeen) {
      const fleetSeen = await this.fleet.lastSeen(subject.tenantId).catch(() => undefined);
      if (fleetSeen !== undefined && (lastSeen === null || fleetSeen > lastSeen)) lastSeen = fleetSeen;
    }
    return {
      tenantId: subject.tenantId,
      known: lastSeen !== null || overridden || activeWindows > 0 || activeConcurrency > 0,
      tier,
      quota,
      overridden,
      limit: main.limit,
      remaining: main.remaining,
      resetAfterMs: main.resetAfterMs,
      activeWindows,
      activeConcurrency,
      lastSeen,
      allowed: summary?.allowed ?? 0,
      denied: summary?.denied ?? 0,
    };
  }

  /**
   * Tenants seen recently, most recent first: by this process (at most `maxTrackedTenants`) and,
   * with a shared store, by the whole fleet (a bounded index, not a key scan).
   */
  async getAllTenantStatus(): Promise<TenantSummary[]> {
    const byKey = new Map<string, TenantSummary>();
    for (const [, s] of this.seen.entries(this.config.clock.now())) {
      byKey.set(s.key, { tenantId: s.tenantId, key: s.key, tier: s.tier, anonymous: s.anonymous, lastSeen: s.lastSeen, allowed: s.allowed, denied: s.denied });
    }
    if (this.fleet) {
      try {
        for (const seen of await this.fleet.listSeen(this.config.maxTrackedTenants)) {
          const subject = tenantSubject(seen.tenantId);
          const local = byKey.get(subject.key);
          if (local) {
            if (seen.lastSeen > local.lastSeen) byKey.set(subject.key, { ...local, lastSeen: seen.lastSeen });
            continue;
          }
          const tier = await this.tierOf(subject);
          byKey.set(subject.key, { tenantId: seen.tenantId, key: subject.key, tier, anonymous: false, lastSeen: seen.lastSeen, allowed: 0, denied: 0 });
        }
      } catch (err) {
        this.config.logger.warn({ err }, 'could not list fleet-wide tenants; showing this instance only');
      }
    }
    return [...byKey.values()].sort((a, b) => b.lastSeen - a.lastSeen);
  }

  /** Tier table, overrides and tier rules in effect. */
  getQuotas(): QuotaReport {
    return {
      defaultTier: this.config.defaultTier,
      tiers: this.config.tiers,
      overrides: Object.fromEntries(this.overrides),
      tierRules: this.config.tierRules.map((r) => ({ pattern: String(r.pattern), tier: r.tier })),
    };
  }

  /**
   * Sets a tenant's quota (merged over its tier's quota). It applies here at once and, with a
   * shared store, on every instance within a second.
   * @throws InvalidTenantError for a bad id; RateLimitConfigError for a bad quota (synchronously)
   * @returns a promise that rejects with StoreUnavailableError if the fleet could not be told
   */
  setTenantOverride(tenantId: string, quota: TenantOverride): Promise<void> {
    this.assertOpen();
    assertTenantId(tenantId, this.config.tenantIdRules);
    const issues = new Issues();
    checkQuota(issues, 'quota', quota, ['tier']);
    if (quota && typeof quota === 'object' && quota.tier !== undefined && !TIERS.includes(quota.tier))
      issues.add('quota.tier', `must be one of ${TIERS.join(', ')}`);
    if (issues.list.length > 0) throw new RateLimitConfigError(issues.list);
    const override = { ...quota };
    this.overrides.set(tenantId, override);
    // "At once" includes this instance's cached denials, made under the old quota.
    return this.clearLocalState(tenantId).then(() => this.tellFleet(() => this.fleet?.saveOverride(tenantId, override)));
  }

  /** Removes a tenant's override (here and fleet-wide); resolves to whether there was one. */
  async removeTenantOverride(tenantId: string): Promise<boolean> {
    assertTenantId(tenantId, this.config.tenantIdRules);
    const existed = this.overrides.delete(tenantId);
    await this.clearLocalState(tenantId);
    await this.tellFleet(() => this.fleet?.saveOverride(tenantId, null));
    return existed;
  }

  /** The override of a tenant, if any. */
  getTenantOverride(tenantId: string): TenantOverride | undefined {
    return this.overrides.get(tenantId);
  }

  /** Forgets a tenant's buckets and leases and its cached tier, on every instance. */
  async resetTenant(tenantId: string): Promise<void> {
    this.assertOpen();
    const subject = this.tenant(tenantId);
    this.tierResolver.clear(tenantId);
    await Promise.all([...this.keysOf(subject).map((key) => this.store.reset(key))]);
    await this.tellFleet(() => this.fleet?.publishReset(tenantId));
  }

  /** Closes the breaker: the next decision tries the shared store again. */
  resetCircuitBreaker(): void {
    this.breaker.reset();
  }

  /** Current health, including one store ping (bounded by the store timeout). */
  async health(): Promise<HealthReport> {
    const started = performance.now();
    const storeLatencyMs = await this.store.ping().then(
      () => Math.round((performance.now() - started) * 1000) / 1000,
      () => null,
    );
    const state = this.breaker.state;
    return {
      status: state === 'closed' ? 'ok' : 'degraded',
      store: this.store.name,
      circuitBreaker: state,
      cacheFailures: this.breaker.totalFailures,
      consecutiveFailures: this.breaker.consecutiveFailures,
      systemLoad: this.loadMonitor?.load ?? 0,
      activeTenants: this.seen.size,
      storeLatencyMs,
    };
  }

  /** Readiness for probes: see {@link Readiness}. No store round trip. */
  readiness(): Readiness {
    const circuitBreaker = this.breaker.state;
    if (this.closed) return { ready: false, reason: 'closed', circuitBreaker };
    if (this.config.failMode === 'closed' && circuitBreaker === 'open')
      return { ready: false, reason: 'shared store unavailable and failMode is closed', circuitBreaker };
    return { ready: true, circuitBreaker };
  }

  /** Releases the store. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribeFleet?.();
    await this.store.close();
  }

  /** The tier a subject is limited under. */
  tierOf(subject: Subject): Tier | Promise<Tier> {
    if (subject.tier) return subject.tier;
    return this.overrides.get(subject.tenantId)?.tier ?? this.tierResolver.resolve(subject.tenantId);
  }

  private quotaOf(subject: Subject, tier: Tier): TenantQuotaConfig {
    const base = this.config.tiers[tier];
    const override = subject.anonymous ? undefined : this.overrides.get(subject.tenantId);
    if (!override) return base;
    const { tier: _pinned, ...quota } = override;
    return { ...base, ...quota };
  }

  /** Every store key of a subject: its buckets (default, route rules, ones seen) and leases. */
  private keysOf(subject: Subject): string[] {
    const summary = this.seen.get(subject.key, this.config.clock.now());
    const buckets = new Set(['default', ...this.routeBuckets, ...(summary?.buckets ?? [])]);
    return [...[...buckets].map((b) => bucketKey(subject, b)), leaseKey(subject)];
  }

  /** Applies a change announced by some instance of the fleet (this one included). */
  private async applyFleetEvent(event: FleetEvent): Promise<void> {
    if (event.type === 'override') {
      if (event.override) this.overrides.set(event.tenantId, event.override);
      else this.overrides.delete(event.tenantId);
    } else {
      this.tierResolver.clear(event.tenantId);
      // The instance that reset only knows the buckets it has used; each instance deletes the
      // ones it knows too (idempotent), so buckets named only elsewhere are reset as well.
      await Promise.all(this.keysOf(tenantSubject(event.tenantId)).map((key) => this.store.reset(key))).catch((err: unknown) =>
        this.config.logger.warn({ err, tenantId: event.tenantId }, 'could not reset buckets this instance knows after a fleet reset'),
      );
    }
    await this.clearLocalState(event.tenantId);
  }

  /**
   * Loads the fleet's stored overrides. Resolves after the first attempt, so a Redis that is
   * down at boot never holds start-up; failed attempts are retried every 5 s in the background.
   */
  private loadFleetOverrides(fleet: FleetSync): Promise<void> {
    const attempt = (first: boolean): Promise<void> =>
      fleet.loadOverrides().then(
        (stored) => {
          for (const [id, quota] of Object.entries(stored)) this.overrides.set(id, quota);
          if (!first) this.config.logger.info({ count: Object.keys(stored).length }, 'fleet-wide overrides loaded');
        },
        (err: unknown) => {
          if (first) this.config.logger.warn({ err }, 'could not load fleet-wide overrides yet; retrying every 5 s');
          if (this.closed) return;
          const timer = this.config.timers.setTimeout(() => {
            if (!this.closed) void attempt(false);
          }, 5_000);
          unref(timer);
        },
      );
    return attempt(true);
  }

  /** Drops local caches (blocked-until answers, fallback buckets) that may contradict a quota change or reset. */
  private async clearLocalState(tenantId: string): Promise<void> {
    if (this.store instanceof ResilientStore) {
      const store = this.store;
      await Promise.all(this.keysOf(tenantSubject(tenantId)).map((key) => store.clearLocal(key))).catch(() => {});
    }
  }

  private async tellFleet(send: () => Promise<void> | undefined): Promise<void> {
    try {
      await send();
    } catch (error) {
      throw new StoreUnavailableError('the change applies on this instance but could not be shared with the fleet', { cause: error });
    }
  }

  private remember(subject: Subject, tier: Tier, bucket: string, allowed: boolean): void {
    const now = this.config.clock.now();
    if (!subject.anonymous) this.fleet?.recordSeen(subject.tenantId, tier, now);
    let s = this.seen.get(subject.key, now);
    if (!s) {
      s = {
        tenantId: subject.anonymous ? subject.key : subject.tenantId,
        key: subject.key,
        tier,
        anonymous: subject.anonymous,
        lastSeen: now,
        allowed: 0,
        denied: 0,
        buckets: new Set(),
      };
    }
    s.tier = tier;
    s.lastSeen = now;
    if (allowed) s.allowed++;
    else s.denied++;
    if (bucket !== 'default') s.buckets.add(bucket);
    this.seen.set(subject.key, s, now);
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('RateLimitManager');
  }
}

/** Builds a manager. Options override `AURUM_API_*` environment variables. */
export function createRateLimitManager(options: RateLimitManagerOptions = {}): RateLimitManager {
  return new RateLimitManager(options);
}

function isLocal(store: RateLimitStore): boolean {
  return store instanceof MemoryStore || store instanceof ResilientStore || (store as { local?: boolean }).local === true;
}

function quotaForTier(quota: BucketQuota | Partial<Record<Tier, BucketQuota>>, tier: Tier): BucketQuota | undefined {
  if ('requestsPerSecond' in quota) return quota as BucketQuota;
  return (quota as Partial<Record<Tier, BucketQuota>>)[tier];
}

function skippedDecision(subject: Subject, tier: Tier, path: string, route: string): RateLimitDecision {
  return {
    allowed: true,
    retryAfter: 0,
    metadata: {
      allowed: true,
      tenantId: subject.tenantId,
      tier,
      anonymous: subject.anonymous,
      path,
      route,
      bucket: 'default',
      policy: tier,
      cost: 0,
      limit: 0,
      remaining: 0,
      requestsPerSecond: 0,
      windowSeconds: 0,
      resetAfter: 0,
      resetAfterMs: 0,
      retryAfterMs: 0,
      loadFactor: 1,
      source: 'primary',
      exceeded: false,
      shadow: false,
      skipped: true,
    },
  };
}
