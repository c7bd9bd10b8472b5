import { type BucketPolicy, type ConsumeResult, clampPolicy } from '../algorithms/gcra.js';
import { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { unref } from '../clock.js';
import { checkOverrideWindow, checkQuota, Issues, isPlainObject } from '../config/checks.js';
import { type ResolvedManagerConfig, resolveManagerConfig } from '../config/resolve-manager.js';
import { ClosedError, type ConfigIssue, InvalidArgumentError, InvalidTenantError, RateLimitConfigError, StoreUnavailableError } from '../errors.js';
import { LoadControl, type LoadReport } from '../load/load-control.js';
import { type Logger, silentLogger } from '../observe/logger.js';
import { type RateLimitObserver, safely } from '../observe/observer.js';
import { PathCache } from '../routing/path-cache.js';
import { BUCKET_NAME, type BucketQuota, compileRouteRules } from '../routing/route-rules.js';
import type { FleetEvent, FleetSync } from '../store/fleet.js';
import { MemoryStore } from '../store/memory-store.js';
import { ResilientStore, type SourcedConsumeResult } from '../store/resilient-store.js';
import type { LeaseResult, RateLimitStore } from '../store/types.js';
import { assertTenantId, tenantIdProblem } from '../tenant/tenant-id.js';
import { type LookupFailure, TierResolver } from '../tenant/tier-resolver.js';
import { type TenantOverride, type TenantQuotaConfig, type Tier, TIERS } from '../tiers.js';
import type { Admission, ConcurrencySlot, RateLimitDecision, RateLimitMetadata } from './decision.js';
import type { RateLimitManagerOptions } from './manager-options.js';
import type { CheckOptions, HealthReport, QuotaReport, Readiness, TenantStatus, TenantSummary } from './reports.js';
import { anonymousSubject, bucketKey, isSubject, type Subject, tenantSubject } from './subject.js';
import { contextKey, newContext, type TenantContext, TenantContexts } from './tenant-context.js';
import { type ListingSource, listTenantPage } from './tenant-listing.js';
import { type ListTenantsOptions, pageRequest, type TenantPage } from './tenant-page.js';

export type { CheckOptions, HealthReport, QuotaReport, Readiness, TenantStatus, TenantSummary } from './reports.js';

const NO_OPTIONS: CheckOptions = Object.freeze({});
/** Health's load fields with `load.enabled: false`. */
const NO_LOAD: LoadReport = Object.freeze({
  systemLoad: 0,
  fleetLoad: null,
  fleetInstances: null,
  loadFactors: Object.freeze({ free: 1, basic: 1, premium: 1, enterprise: 1 }),
  inFlight: null,
  concurrencyLimit: null,
});

/**
 * The rate limiter: tier detection, quotas, load adjustment and route rules in front of a
 * store. Framework adapters call {@link checkRateLimit} and {@link acquireConcurrency}.
 */
export class RateLimitManager {
  readonly config: ResolvedManagerConfig;
  /** The store decisions go through (a {@link ResilientStore} around a shared store). */
  readonly store: RateLimitStore;
  readonly breaker: CircuitBreaker;
  /** Resolves once fleet-wide overrides are loaded from the shared store (at once without one). */
  readonly ready: Promise<void>;
  private readonly overrides = new Map<string, TenantOverride>();
  private readonly tierResolver: TierResolver;
  private readonly paths: PathCache;
  private readonly routeBuckets: string[];
  private readonly contexts: TenantContexts;
  /** Load sampling, factors, requests in flight and adaptive concurrency; `undefined` with `load.enabled: false`. */
  readonly load: LoadControl | undefined;
  private readonly observer: RateLimitObserver | undefined;
  private readonly fleet: FleetSync | undefined;
  private readonly unsubscribeFleet: (() => void) | undefined;
  /** The store when it is this manager's own memory store: decided synchronously, on the manager's clock. */
  private readonly localStore: MemoryStore | undefined;
  /** The store when it is a ResilientStore: its cached and degraded answers come synchronously. */
  private readonly resilient: ResilientStore | undefined;
  /** Bumped whenever cached tiers and quotas may be stale (overrides, resets). */
  private version = 0;
  private closed = false;
  private decisions = 0;

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
    this.localStore = config.store === undefined ? (primary as MemoryStore) : undefined;
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
    // Only a wrapper built here shares this manager's clock, so only it may be handed `now`.
    this.resilient = this.store instanceof ResilientStore && this.store !== primary && config.fallbackStore === undefined ? this.store : undefined;
    for (const [id, quota] of Object.entries(config.overrides)) this.overrides.set(id, quota);
    this.tierResolver = new TierResolver({
      rules: config.tierRules,
      ...(config.resolveTier && { resolveTier: config.resolveTier }),
      defaultTier: config.defaultTier,
      cacheSize: config.tierCache.max,
      cacheTtlMs: config.tierCache.ttlMs,
      timeoutMs: config.lookupTimeoutMs,
      clock,
      timers,
      logger,
      onFailure: (failure) => this.lookupFailed(failure),
    });
    this.paths = new PathCache(compileRouteRules(config.routes, config.caseSensitiveRoutes));
    this.routeBuckets = [...new Set(config.routes.flatMap((r) => (r.bucket ? [r.bucket] : [])))];
    this.contexts = new TenantContexts(config.maxTrackedTenants);
    this.fleet = this.store.fleet;
    if (this.fleet) {
      this.unsubscribeFleet = this.fleet.subscribe((event) => void this.applyFleetEvent(event));
      this.ready = this.loadFleetOverrides(this.fleet);
    } else {
      this.ready = Promise.resolve();
    }
    this.load = config.load.enabled
      ? new LoadControl(config.load, { tiers: config.tiers, fleet: this.fleet, clock, timers, logger, observer: this.observer })
      : undefined;
  }

  /** A validated tenant subject; throws {@link InvalidTenantError} for a bad id. */
  tenant(tenantId: string): Subject {
    return this.contexts.tenant(tenantId)?.subject ?? tenantSubject(assertTenantId(tenantId, this.config.tenantIdRules));
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
  checkRateLimit(tenant: string | Subject, path = '/', options: CheckOptions = NO_OPTIONS): Promise<RateLimitDecision> {
    return this.decide(tenant, path, options, undefined);
  }

  /**
   * Decides a request like {@link checkRateLimit} and, when it is allowed (in shadow mode:
   * always), takes a concurrency slot like {@link acquireConcurrency}: with a store that can
   * (Redis), both in one round trip. `slot` is absent when the rate refused the request or a
   * route rule skipped it; otherwise release it when the work ends, even when not `allowed`.
   */
  async admit(tenant: string | Subject, path = '/', options: CheckOptions = NO_OPTIONS): Promise<Admission> {
    const out: { slot?: ConcurrencySlot } = {};
    const decision = await this.decide(tenant, path, options, out);
    return { decision, slot: out.slot };
  }

  /** {@link checkRateLimit}, and with `slotOut` {@link admit}'s slot too. */
  private async decide(
    tenant: string | Subject,
    path: string,
    options: CheckOptions,
    slotOut: { slot?: ConcurrencySlot } | undefined,
  ): Promise<RateLimitDecision> {
    if (this.closed) throw new ClosedError('RateLimitManager');
    let now = this.config.clock.now();
    const ctx = this.context(tenant);
    const resolved = this.tierFor(ctx, now);
    let tier: Tier;
    if (typeof resolved === 'string') tier = resolved;
    else {
      tier = await resolved;
      now = this.config.clock.now(); // a lookup took time: decide on the time after it
    }
    const info = this.paths.get(path);
    const rule = info.rule(options.method);
    const route = options.route ?? rule?.label ?? info.label;
    if (rule?.rule.skip) return skippedDecision(ctx.subject, tier, info.normalized, route);

    const cost = options.cost ?? rule?.rule.cost ?? 1;
    if (!(Number.isSafeInteger(cost) && cost >= 1)) throw new InvalidArgumentError(`cost must be a whole number >= 1, got ${String(cost)}`);
    const bucket = options.bucket ?? rule?.rule.bucket ?? 'default';
    if (options.bucket !== undefined && !BUCKET_NAME.test(options.bucket)) {
      throw new InvalidArgumentError(`bucket must match ${BUCKET_NAME}, got ${JSON.stringify(options.bucket)}`);
    }
    const quota = ctx.quota;
    const ruleQuota = rule?.rule.bucket === bucket && rule.rule.quota ? quotaForTier(rule.rule.quota, tier) : undefined;
    const factor = this.load ? this.load.factorFor(quota.priorityBoost) : 1;
    const policy: BucketPolicy = ruleQuota === undefined && factor === 1 ? ctx.policy : scaledPolicy(ruleQuota ?? quota, factor);

    // Timed only when someone listens, and only one decision in eight: two clock reads are a
    // real share of a memory decision, and a sample is as good for a latency histogram.
    const timed = this.observer?.onDecision !== undefined && (++this.decisions & 7) === 0;
    const started = timed ? performance.now() : 0;
    const key = contextKey(ctx, bucket);
    const shadow = this.config.shadow || rule?.rule.shadow === true;
    let result: ConsumeResult & { source?: SourcedConsumeResult['source'] };
    // With a slot wanted and a store that takes both at once: one round trip, not two.
    let lease: LeaseResult | undefined;
    const slotLimit = slotOut && !this.localStore && this.store.consumeAndAcquire ? concurrencyLimit(quota.maxConcurrentRequests, factor) : 0;
    if (this.localStore) result = this.localStore.consumeSync(key, policy, cost, now);
    else if (slotLimit > 0) {
      const admitted = await (this.store as Required<RateLimitStore>).consumeAndAcquire(
        key,
        policy,
        cost,
        ctx.leaseKey,
        slotLimit,
        this.config.concurrencyLeaseMs,
        shadow,
      );
      result = admitted.decision;
      lease = admitted.lease;
    } else {
      // A cached denial or the fallback while the breaker is open needs no promise.
      result = this.resilient?.consumeLocal(key, policy, cost, now) ?? (await this.store.consume(key, policy, cost));
    }
    const exceeded = !result.allowed;
    const allowed = !exceeded || shadow;
    // Reached while quotas are cut for load: that is load shedding (503 by default).
    const reason = exceeded ? (result.reason ?? (factor < 1 ? 'load_shed' : 'rate_limited')) : undefined;
    const subject = ctx.subject;
    const metadata: RateLimitMetadata = {
      allowed,
      tenantId: subject.tenantId,
      tier,
      anonymous: subject.anonymous,
      path: info.normalized,
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
      // Always present (possibly undefined): one object shape for every decision is faster.
      durationMs: timed ? performance.now() - started : undefined,
      reason,
    };
    this.remember(ctx, tier, allowed, now);
    if (this.debug) this.config.logger.debug({ ...metadata }, 'rate limit decision');
    if (this.observer?.onDecision) safely(() => this.observer?.onDecision?.(metadata));
    if (slotOut !== undefined && allowed) {
      slotOut.slot = lease !== undefined ? this.slotFrom(ctx, tier, factor, slotLimit, lease) : await this.takeSlot(ctx, tier);
    }
    return { allowed, retryAfter: allowed ? 0 : Math.max(1, Math.ceil(result.retryAfterMs / 1000)), metadata };
  }

  /**
   * Takes one of the tenant's concurrency slots (its `maxConcurrentRequests`). Call `release()`
   * when the work ends; a slot never released expires after `concurrencyLeaseMs`.
   */
  async acquireConcurrency(tenant: string | Subject): Promise<ConcurrencySlot> {
    if (this.closed) throw new ClosedError('RateLimitManager');
    const ctx = this.context(tenant);
    const resolved = this.tierFor(ctx, this.config.clock.now());
    const tier = typeof resolved === 'string' ? resolved : await resolved;
    return this.takeSlot(ctx, tier);
  }

  /** One lease of the tenant's `maxConcurrentRequests`, scaled by load like the rate. */
  private async takeSlot(ctx: TenantContext, tier: Tier): Promise<ConcurrencySlot> {
    const factor = this.load ? this.load.factorFor(ctx.quota.priorityBoost) : 1;
    const limit = concurrencyLimit(ctx.quota.maxConcurrentRequests, factor);
    const local = this.localStore;
    const lease =
      limit === 0
        ? { allowed: false, active: 0, limit: 0 }
        : local
          ? local.acquireSync(ctx.leaseKey, limit, this.config.concurrencyLeaseMs)
          : await this.store.acquire(ctx.leaseKey, limit, this.config.concurrencyLeaseMs);
    return this.slotFrom(ctx, tier, factor, limit, lease);
  }

  private slotFrom(ctx: TenantContext, tier: Tier, factor: number, limit: number, lease: LeaseResult): ConcurrencySlot {
    const subject = ctx.subject;
    if (this.observer?.onConcurrency)
      safely(() => this.observer?.onConcurrency?.({ tenantId: subject.tenantId, tier, allowed: lease.allowed, active: lease.active, limit }));
    const key = ctx.leaseKey;
    const local = this.localStore;
    let released = lease.leaseId === undefined;
    const full = ctx.quota.maxConcurrentRequests;
    return {
      allowed: lease.allowed,
      active: lease.active,
      limit,
      tenantId: subject.tenantId,
      tier,
      loadFactor: factor,
      shed: !lease.allowed && limit < full && lease.active < full,
      release: async () => {
        if (released) return;
        released = true;
        if (local) local.releaseSync(key, lease.leaseId as string);
        else await this.store.release(key, lease.leaseId as string);
      },
    };
  }

  /** Status of one tenant, read from the store without consuming. */
  async getTenantStatus(tenantId: string): Promise<TenantStatus> {
    this.assertOpen();
    const ctx = this.contexts.tenant(tenantId) ?? newContext(tenantSubject(assertTenantId(tenantId, this.config.tenantIdRules)));
    const tier = await this.tierFor(ctx, this.config.clock.now());
    const quota = ctx.quota;
    const policy = { rate: quota.requestsPerSecond, burst: quota.burstSize };
    const buckets = ['default', ...this.routeBuckets, ...(ctx.buckets?.keys() ?? [])].filter((b, i, all) => all.indexOf(b) === i);
    const snapshots = await Promise.all(buckets.map((b) => this.store.inspect(contextKey(ctx, b), policy)));
    const main = snapshots[0] ?? { limit: quota.burstSize, remaining: quota.burstSize, resetAfterMs: 0 };
    const activeWindows = snapshots.filter((s) => s.resetAfterMs > 0).length;
    const activeConcurrency = await this.store.countLeases(ctx.leaseKey);
    const overridden = this.overrides.has(tenantId);
    let lastSeen = ctx.seen ? ctx.lastSeen : null;
    if (this.fleet?.lastSeen) {
      const fleetSeen = await this.fleet.lastSeen(tenantId).catch(() => undefined);
      if (fleetSeen !== undefined && (lastSeen === null || fleetSeen > lastSeen)) lastSeen = fleetSeen;
    }
    return {
      tenantId,
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
      allowed: ctx.allowed,
      denied: ctx.denied,
      loadFactor: this.load ? this.load.factorFor(quota.priorityBoost) : 1,
    };
  }

  /**
   * One page of the tenants seen recently, most recent first (ties by id, descending); pass its
   * `nextCursor` back for the next page. Without a shared store: the tenants and anonymous client
   * groups this process tracks (at most `maxTrackedTenants`). With one (Redis): the tenants in the
   * fleet-wide index, which holds the most recently seen `maxTenants` (default 10 000), with this
   * process's counts where it has them, plus this process's anonymous client groups. A tenant
   * seen again while you page moves to the front: a walk never lists it twice, but may miss it.
   * A scan yields to the event loop every few ms and sorts only the page, so requests never stall.
   * @throws InvalidArgumentError (as a rejection) for a `limit` that is not a whole number from 1
   *   to 1000, or a `cursor` that is not a `nextCursor`
   */
  async listTenants(options: ListTenantsOptions = {}): Promise<TenantPage> {
    return listTenantPage(this.listingSource(), pageRequest(options));
  }

  /**
   * Every tenant {@link listTenants} would list, in one array of at most `maxTrackedTenants`,
   * most recent first. Prefer {@link listTenants}: this builds all of it in memory.
   */
  async getAllTenantStatus(): Promise<TenantSummary[]> {
    return (await listTenantPage(this.listingSource(), { limit: this.config.maxTrackedTenants, after: undefined })).tenants;
  }

  private listingSource(): ListingSource {
    return {
      contexts: () => this.contexts.values(),
      context: (tenantId) => this.contexts.tenant(tenantId),
      isTenantId: (id) => tenantIdProblem(id, this.config.tenantIdRules) === undefined,
      tierOf: (subject) => this.tierOf(subject),
      fleet: this.fleet,
      maxTracked: this.config.maxTrackedTenants,
      logger: this.config.logger,
    };
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
    const issues = overrideIssues(quota, this.config.tiers);
    if (issues.length > 0) throw new RateLimitConfigError(issues);
    const override = { ...quota };
    this.overrides.set(tenantId, override);
    this.version++;
    // "At once" includes this instance's cached denials, made under the old quota.
    return this.clearLocalState(tenantId).then(() => this.tellFleet(() => this.fleet?.saveOverride(tenantId, override)));
  }

  /** Removes a tenant's override (here and fleet-wide); resolves to whether there was one. */
  async removeTenantOverride(tenantId: string): Promise<boolean> {
    this.assertOpen();
    assertTenantId(tenantId, this.config.tenantIdRules);
    const existed = this.overrides.delete(tenantId);
    this.version++;
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
    this.forgetTier(tenantId);
    await Promise.all(this.keysOf(subject).map((key) => this.store.reset(key)));
    await this.tellFleet(() => this.fleet?.publishReset(tenantId));
  }

  /**
   * Reports a user lookup (`resolveTier` here, `resolveTenant` from the HTTP layer) that failed or
   * missed its deadline, to the observer. Logging is the caller's, once per interval.
   */
  lookupFailed(failure: LookupFailure): void {
    if (this.observer?.onLookupFailure) safely(() => this.observer?.onLookupFailure?.(failure));
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
    const window = this.breaker.windowCounts();
    return {
      status: state === 'closed' ? 'ok' : 'degraded',
      store: this.store.name,
      circuitBreaker: state,
      cacheFailures: this.breaker.totalFailures,
      consecutiveFailures: this.breaker.consecutiveFailures,
      windowCalls: window.calls,
      failureRate: window.calls === 0 ? null : Math.round((window.failures * 1000) / window.calls) / 10,
      ...(this.load?.report() ?? NO_LOAD),
      activeTenants: this.contexts.size,
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
    this.load?.stop();
    await this.store.close();
  }

  /** The tier a subject is limited under. */
  tierOf(subject: Subject): Tier | Promise<Tier> {
    const ctx = this.knownContext(subject) ?? newContext(subject);
    return this.tierFor(ctx, this.config.clock.now());
  }

  /** The cached context of a tenant id or subject, created (after validation) on first sight. */
  private context(tenant: string | Subject): TenantContext {
    if (typeof tenant === 'string') {
      return this.contexts.tenant(tenant) ?? this.contexts.add(newContext(tenantSubject(assertTenantId(tenant, this.config.tenantIdRules))));
    }
    // Only subjects minted by tenant()/anonymous(): a hand-made object could name any key stem.
    if (!isSubject(tenant)) throw new InvalidTenantError('must be a tenant id string or a subject from manager.tenant() or manager.anonymous()');
    if (tenant.anonymous) {
      const ctx = this.contexts.internalSubject(tenant.key);
      return ctx !== undefined && ctx.subject.tier === tenant.tier ? ctx : this.contexts.add(newContext(tenant));
    }
    return this.contexts.tenant(tenant.tenantId) ?? this.contexts.add(newContext(tenantSubject(assertTenantId(tenant.tenantId, this.config.tenantIdRules))));
  }

  /** The cached context of a subject, if any (never creates one). */
  private knownContext(subject: Subject): TenantContext | undefined {
    return subject.anonymous ? this.contexts.internalSubject(subject.key) : this.contexts.tenant(subject.tenantId);
  }

  /**
   * The context's tier, refreshing tier and quota when overrides changed since (`version`) or
   * a `resolveTier` answer aged out; synchronous unless `resolveTier` must be asked.
   */
  private tierFor(ctx: TenantContext, now: number): Tier | Promise<Tier> {
    if (ctx.version === this.version && now < ctx.tierExpiresAt) return ctx.tier;
    const subject = ctx.subject;
    const version = this.version;
    const apply = (tier: Tier): Tier => {
      const quota = this.quotaOf(subject, tier);
      ctx.tier = tier;
      ctx.quota = quota;
      ctx.policy = { rate: quota.requestsPerSecond, burst: quota.burstSize };
      ctx.version = version;
      // Answers of resolveTier are re-asked after the tier cache TTL; a stale or default tier
      // used because the lookup failed or is late is re-checked on the next request.
      ctx.tierExpiresAt = this.config.resolveTier === undefined ? Number.POSITIVE_INFINITY : this.tierResolver.freshUntil(subject.tenantId, now);
      return tier;
    };
    const pinned = subject.tier ?? this.overrides.get(subject.tenantId)?.tier;
    if (pinned) return apply(pinned);
    const resolved = this.tierResolver.resolve(subject.tenantId);
    return typeof resolved === 'string' ? apply(resolved) : resolved.then(apply);
  }

  private forgetTier(tenantId: string): void {
    this.tierResolver.clear(tenantId);
    this.version++;
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
    const ctx = this.knownContext(subject);
    const buckets = new Set(['default', ...this.routeBuckets, ...(ctx?.buckets?.keys() ?? [])]);
    return [...[...buckets].map((b) => bucketKey(subject, b)), ctx?.leaseKey ?? `${subject.key}:c`];
  }

  /** Applies a change announced by some instance of the fleet (this one included). */
  private async applyFleetEvent(event: FleetEvent): Promise<void> {
    if (tenantIdProblem(event.tenantId, this.config.tenantIdRules) !== undefined) return;
    if (event.type === 'override') {
      if (event.override) {
        if (!this.acceptFleetOverride(event.tenantId, event.override)) return;
        this.overrides.set(event.tenantId, event.override);
      } else this.overrides.delete(event.tenantId);
      this.version++;
    } else {
      this.forgetTier(event.tenantId);
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
          for (const [id, quota] of Object.entries(stored)) {
            if (tenantIdProblem(id, this.config.tenantIdRules) === undefined && this.acceptFleetOverride(id, quota)) this.overrides.set(id, quota);
          }
          this.version++;
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

  /**
   * An override read from the shared store is validated like one set here: another instance (an
   * older version, or anyone with write access to Redis) may have stored one this version refuses,
   * and an invalid quota must never reach a store call.
   */
  private acceptFleetOverride(tenantId: string, quota: unknown): boolean {
    const issues = overrideIssues(quota, this.config.tiers);
    if (issues.length === 0) return true;
    this.config.logger.warn({ tenantId, issues }, 'ignoring an invalid fleet-wide override stored in the shared store');
    return false;
  }

  private async tellFleet(send: () => Promise<void> | undefined): Promise<void> {
    try {
      await send();
    } catch (error) {
      throw new StoreUnavailableError('the change applies on this instance but could not be shared with the fleet', { cause: error });
    }
  }

  private remember(ctx: TenantContext, tier: Tier, allowed: boolean, now: number): void {
    ctx.seen = true;
    ctx.lastSeen = now;
    if (allowed) ctx.allowed++;
    else ctx.denied++;
    if (!ctx.subject.anonymous) this.fleet?.recordSeen(ctx.subject.tenantId, tier, now);
  }

  /** Per-decision debug logs only when the logger would print them (pino's isLevelEnabled), never with the silent default. */
  private get debug(): boolean {
    const logger = this.config.logger as Logger & { isLevelEnabled?: (level: string) => boolean };
    return logger !== silentLogger && (logger.isLevelEnabled?.('debug') ?? true);
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

/**
 * A bucket under a load factor: rate and burst both scaled (burst rounded up, at least 1), so the
 * window burst/rate stays put. The bucket's state is a time (GCRA's TAT) at most one window
 * ahead; with the window fixed, a dip in load leaves no debt behind: scaling only the rate would
 * let a bucket filled at a low rate stay closed for burst/(rate·factor) after load recovers.
 */
function scaledPolicy(quota: BucketQuota, factor: number): BucketPolicy {
  if (factor === 1) return { rate: quota.requestsPerSecond, burst: quota.burstSize };
  // A factor that underflowed to 0 (tiny minFactor and boost) still makes a valid, near-closed bucket.
  if (!(factor > 1e-9)) factor = 1e-9;
  // The epsilon keeps 10 × 0.3 = 3.0000000000000004 from rounding up to 4. Clamped, because a
  // tiny factor on a slow rate would otherwise leave the domain every store can execute.
  return clampPolicy(quota.requestsPerSecond * factor, Math.max(1, Math.ceil(quota.burstSize * factor - 1e-9)));
}

/** Every problem of an override (shape, ranges, tier, refill window on the tiers it may apply to). */
function overrideIssues(quota: unknown, tiers: Readonly<Record<Tier, TenantQuotaConfig>>): ConfigIssue[] {
  const issues = new Issues();
  checkQuota(issues, 'quota', quota, ['tier']);
  if (isPlainObject(quota)) {
    if (quota.tier !== undefined && !TIERS.includes(quota.tier as Tier)) issues.add('quota.tier', `must be one of ${TIERS.join(', ')}`);
    if (issues.list.length === 0) checkOverrideWindow(issues, 'quota', quota, tiers);
  }
  return issues.list;
}

/** Concurrency under a load factor: never below one slot unless the factor is 0. */
function concurrencyLimit(max: number, factor: number): number {
  return factor === 1 ? max : Math.floor(max * factor) || (factor > 0 ? 1 : 0);
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
