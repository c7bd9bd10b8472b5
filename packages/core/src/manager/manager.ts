import { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { AnyManagerOptions, RateLimitManagerOptions } from './manager-options.js';
import { QuotaLeases } from './quota-leases.js';
import { startupSummary } from './startup-summary.js';
import { type ResolvedManagerConfig, resolveManagerConfig } from '../config/resolve-manager.js';
import { ClosedError, RateLimitConfigError } from '../errors.js';
import { LoadControl } from '../load/load-control.js';
import { type RateLimitObserver, safely } from '../observe/observer.js';
import { PathCache } from '../routing/path-cache.js';
import { compileRouteRules } from '../routing/route-rules.js';
import { MemoryStore } from '../store/memory-store.js';
import { ResilientStore } from '../store/resilient-store.js';
import type { RateLimitStore } from '../store/types.js';
import type { LookupFailure } from '../tenant/tier-resolver.js';
import type { TenantOverride, Tier } from '../tiers.js';
import { checkTier, Issues } from '../config/checks.js';
import type { Admission, ConcurrencySlot, RateLimitDecision } from './decision.js';
import { Decider, type Outcome } from './decider.js';
import { FleetLink } from './fleet-link.js';
import { Overrides, overrideIssues } from './overrides.js';
import type { CheckOptions, HealthReport, QuotaReport, Readiness, RefundOptions, TenantStatus, TenantSummary } from './reports.js';
import { Slots } from './slots.js';
import { StatusReports } from './status.js';
import type { Subject } from './subject.js';
import { SubjectRegistry } from './subject-registry.js';
import { listTenantPage } from './tenant-listing.js';
import { type ListTenantsOptions, pageRequest, type TenantPage } from './tenant-page.js';
import { TierCache } from './tier-cache.js';

export type { CheckOptions, HealthReport, QuotaReport, Readiness, RefundOptions, TenantStatus, TenantSummary } from './reports.js';

const NO_OPTIONS: CheckOptions = Object.freeze({});

/**
 * The rate limiter: tier detection, quotas, load adjustment and route rules in front of a
 * store. Framework adapters call {@link checkRateLimit} and {@link admit}.
 *
 * A facade over small parts: {@link SubjectRegistry} (who), {@link TierCache} (which quota),
 * {@link Decider} and {@link Slots} (the decision), {@link Overrides} and {@link FleetLink}
 * (changes here and fleet-wide), {@link StatusReports} (read-only views).
 */
export class RateLimitManager<T extends string = never> {
  readonly config: ResolvedManagerConfig;
  /** The store decisions go through (a {@link ResilientStore} around a shared store). */
  readonly store: RateLimitStore;
  readonly breaker: CircuitBreaker;
  /** Resolves once fleet-wide overrides are loaded from the shared store (at once without one). */
  readonly ready: Promise<void>;
  /** Load sampling, factors, requests in flight and adaptive concurrency; `undefined` with `load.enabled: false`. */
  readonly load: LoadControl | undefined;
  private readonly observer: RateLimitObserver | undefined;
  private readonly subjects: SubjectRegistry;
  private readonly overrides: Overrides;
  private readonly tiers: TierCache;
  private readonly slots: Slots;
  private readonly decider: Decider;
  private readonly leases: QuotaLeases;
  private readonly fleetLink: FleetLink;
  private readonly reports: StatusReports;
  private readonly routeBuckets: readonly string[];
  private isClosed = false;

  constructor(options: RateLimitManagerOptions<T> | AnyManagerOptions = {}, extraOptionKeys: readonly string[] = []) {
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
    this.store = this.wrap(config.store ?? new MemoryStore({ clock, timers }));
    const fleet = this.store.fleet;
    this.subjects = new SubjectRegistry(config.tenantIdRules, config.maxTrackedTenants);
    this.overrides = new Overrides(config.overrides);
    this.tiers = new TierCache(config, this.overrides, (failure) => this.lookupFailed(failure));
    this.routeBuckets = [...new Set(config.routes.flatMap((r) => (r.bucket ? [r.bucket] : [])))];
    this.load = config.load.enabled ? new LoadControl(config.load, { tiers: config.tiers, fleet, clock, timers, logger, observer: this.observer }) : undefined;
    this.slots = new Slots({ store: this.store, load: this.load, observer: this.observer, leaseMs: config.concurrencyLeaseMs });
    const paths = new PathCache(compileRouteRules(config.routes, config.caseSensitiveRoutes));
    this.leases = new QuotaLeases({
      store: this.store,
      leasing: config.leasing,
      clock,
      timers,
      logger,
      instances: () => fleet?.fleetLoad?.()?.instances,
    });
    this.decider = new Decider({ config, store: this.store, load: this.load, observer: this.observer, fleet, paths, slots: this.slots, leases: this.leases });
    const isClosed = () => this.isClosed;
    const shared = {
      config,
      store: this.store,
      overrides: this.overrides,
      tiers: this.tiers,
      subjects: this.subjects,
      routeBuckets: this.routeBuckets,
      leases: this.leases,
      isClosed,
    };
    this.fleetLink = new FleetLink(fleet, shared);
    this.reports = new StatusReports({ ...shared, breaker: this.breaker, load: this.load, fleet });
    this.ready = this.fleetLink.ready;
    logger.info(...startupSummary(config, this.store, this.breaker));
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** A validated tenant subject; throws {@link InvalidTenantError} for a bad id. */
  tenant(tenantId: string): Subject {
    return this.subjects.tenant(tenantId);
  }

  /** The subject for an anonymous client group (`ip:203.0.113.7`, `shared`). */
  anonymous(group: string, tier: Tier | T = 'free'): Subject {
    if (!Object.hasOwn(this.config.tiers, tier)) {
      const issues = new Issues();
      checkTier(issues, 'tier', tier, Object.keys(this.config.tiers));
      throw new RateLimitConfigError(issues.list);
    }
    return this.subjects.anonymous(group, tier);
  }

  /**
   * Gives `cost` tokens back to a tenant's bucket: for a request that should not count after all
   * (it failed, or succeeded, as your policy says; the adapters' `skipFailedRequests` and
   * `skipSuccessfulRequests` call it). Exact on the memory and Redis stores when the quota did not
   * change in between; never fills a bucket past its burst.
   * @param tenant tenant id (validated) or a subject from {@link tenant} / {@link anonymous}
   * @param cost tokens to give back, a whole number ≥ 1 (the decision's `metadata.cost`)
   * @param options which bucket: the one a request to `path` takes from, or `bucket` by name
   * @throws InvalidTenantError, InvalidArgumentError for a bad cost or bucket
   */
  refund(tenant: string | Subject, cost = 1, options: RefundOptions = {}): Promise<void> {
    try {
      this.assertOpen();
      const ctx = this.subjects.context(tenant);
      const tier = this.tiers.tierFor(ctx, this.config.clock.now());
      const give = (t: string) => this.decider.refund(ctx, t, cost, options);
      return Promise.resolve(typeof tier === 'string' ? give(tier) : tier.then(give));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Decides one request: takes its cost from the tenant's bucket.
   * @param tenant tenant id (validated) or a subject from {@link tenant} / {@link anonymous}
   * @param path request path; normalised before route rules are matched
   * @throws InvalidTenantError for a bad tenant id; InvalidArgumentError for a bad cost;
   *   StoreUnavailableError only with `failMode: 'closed'` (all as rejections)
   */
  checkRateLimit(tenant: string | Subject, path = '/', options: CheckOptions = NO_OPTIONS): Promise<RateLimitDecision> {
    try {
      return promised(this.decide(tenant, path, options, false, false) as RateLimitDecision | Promise<RateLimitDecision>);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * {@link checkRateLimit} without a promise, when the answer needs no I/O: with the memory store
   * always (unless `resolveTier` must be asked); with a shared store, for a tenant in the blocked
   * cache or while the breaker is open. Otherwise `undefined`, and nothing was consumed: call
   * {@link checkRateLimit}. For custom servers and adapters on the hot path.
   * @throws InvalidTenantError, InvalidArgumentError, StoreUnavailableError (synchronously)
   */
  checkRateLimitSync(tenant: string | Subject, path = '/', options: CheckOptions = NO_OPTIONS): RateLimitDecision | undefined {
    return this.decide(tenant, path, options, false, true) as RateLimitDecision | undefined;
  }

  /**
   * Decides a request like {@link checkRateLimit} and, when it is allowed (in shadow mode:
   * always), takes a concurrency slot like {@link acquireConcurrency}: with a store that can
   * (Redis), both in one round trip. `slot` is absent when the rate refused the request or a
   * route rule skipped it; otherwise release it when the work ends, even when not `allowed`.
   */
  admit(tenant: string | Subject, path = '/', options: CheckOptions = NO_OPTIONS): Promise<Admission> {
    try {
      return promised(this.decide(tenant, path, options, true, false) as Admission | Promise<Admission>);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** {@link admit} without a promise when decision and slot need no I/O (see {@link checkRateLimitSync}); else `undefined`. */
  admitSync(tenant: string | Subject, path = '/', options: CheckOptions = NO_OPTIONS): Admission | undefined {
    const admission = this.decide(tenant, path, options, true, true);
    // A store that decides synchronously but takes slots asynchronously: the decision is made.
    if (admission instanceof Promise) throw new Error('unreachable: a synchronous decision with an asynchronous slot');
    return admission as Admission | undefined;
  }

  /**
   * Takes one of the tenant's concurrency slots (its `maxConcurrentRequests`). Call `release()`
   * when the work ends; a slot never released expires after `concurrencyLeaseMs`.
   */
  async acquireConcurrency(tenant: string | Subject): Promise<ConcurrencySlot> {
    this.assertOpen();
    const ctx = this.subjects.context(tenant);
    const resolved = this.tiers.tierFor(ctx, this.config.clock.now());
    return this.slots.take(ctx, typeof resolved === 'string' ? resolved : await resolved);
  }

  /** Status of one tenant, read from the store without consuming. */
  async getTenantStatus(tenantId: string): Promise<TenantStatus> {
    this.assertOpen();
    return this.reports.tenant(tenantId);
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
    return listTenantPage(this.reports.listingSource(), pageRequest(options));
  }

  /**
   * Every tenant {@link listTenants} would list, in one array of at most `maxTrackedTenants`,
   * most recent first. Prefer {@link listTenants}: this builds all of it in memory.
   */
  async getAllTenantStatus(): Promise<TenantSummary[]> {
    return (await listTenantPage(this.reports.listingSource(), { limit: this.config.maxTrackedTenants, after: undefined })).tenants;
  }

  /** Tier table, overrides and tier rules in effect. */
  getQuotas(): QuotaReport {
    return this.reports.quotas();
  }

  /**
   * Sets a tenant's quota (merged over its tier's quota). It applies here at once and, with a
   * shared store, on every instance within a second.
   * @throws InvalidTenantError for a bad id; RateLimitConfigError for a bad quota (synchronously)
   * @returns a promise that rejects with StoreUnavailableError if the fleet could not be told
   */
  setTenantOverride(tenantId: string, quota: TenantOverride<Tier | T>): Promise<void> {
    this.assertOpen();
    this.subjects.validId(tenantId);
    const issues = overrideIssues(quota, this.config.tiers);
    if (issues.length > 0) throw new RateLimitConfigError(issues);
    const override = { ...quota };
    this.overrides.set(tenantId, override);
    // "At once" includes this instance's cached denials, made under the old quota.
    return this.fleetLink.clearLocalState(tenantId).then(() => this.fleetLink.saveOverride(tenantId, override));
  }

  /** Removes a tenant's override (here and fleet-wide); resolves to whether there was one. */
  async removeTenantOverride(tenantId: string): Promise<boolean> {
    this.assertOpen();
    this.subjects.validId(tenantId);
    const existed = this.overrides.delete(tenantId);
    await this.fleetLink.clearLocalState(tenantId);
    await this.fleetLink.saveOverride(tenantId, null);
    return existed;
  }

  /** The override of a tenant, if any. */
  getTenantOverride(tenantId: string): TenantOverride<string> | undefined {
    return this.overrides.get(tenantId);
  }

  /** Forgets a tenant's buckets and leases and its cached tier, on every instance. */
  async resetTenant(tenantId: string): Promise<void> {
    this.assertOpen();
    const subject = this.subjects.tenant(tenantId);
    this.tiers.forget(tenantId);
    const lease = this.subjects.knownTenant(tenantId)?.quotaLease;
    if (lease !== undefined) this.leases.revoke(lease);
    await Promise.all(this.subjects.keysOf(subject, this.routeBuckets).map((key) => this.store.reset(key)));
    await this.fleetLink.publishReset(tenantId);
  }

  /** Closes the breaker: the next decision tries the shared store again. */
  resetCircuitBreaker(): void {
    this.breaker.reset();
  }

  /**
   * Reports a user lookup (`resolveTier` here, `resolveTenant` from the HTTP layer) that failed or
   * missed its deadline, to the observer. Logging is the caller's, once per interval.
   */
  lookupFailed(failure: LookupFailure): void {
    if (this.observer?.onLookupFailure) safely(() => this.observer?.onLookupFailure?.(failure));
  }

  /** Current health, including one store ping (bounded by the store timeout). */
  health(): Promise<HealthReport> {
    return this.reports.health();
  }

  /** Readiness for probes: see {@link Readiness}. No store round trip. */
  readiness(): Readiness {
    return this.reports.readiness();
  }

  /** Releases the store. Idempotent. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.fleetLink.stop();
    this.load?.stop();
    // Unspent leased tokens go back before the store goes away.
    await this.leases.close();
    await this.store.close();
  }

  /** The tier a subject is limited under. */
  tierOf(subject: Subject): string | Promise<string> {
    return this.reports.tierOf(subject);
  }

  /**
   * Context, tier (a lookup may take time: then decide on the time after it), decision; a value
   * when nothing needed I/O. With `syncOnly`, `undefined` where I/O would be needed.
   */
  private decide(tenant: string | Subject, path: string, options: CheckOptions, wantSlot: boolean, syncOnly: boolean): Outcome | Promise<Outcome> | undefined {
    this.assertOpen();
    const now = this.config.clock.now();
    const ctx = this.subjects.context(tenant);
    const tier = this.tiers.tierFor(ctx, now);
    if (typeof tier === 'string') return this.decider.decide(ctx, tier, now, path, options, wantSlot, syncOnly);
    if (syncOnly) return undefined;
    return tier.then((resolved) => this.decider.decide(ctx, resolved, this.config.clock.now(), path, options, wantSlot, false) as Outcome | Promise<Outcome>);
  }

  /**
   * The store decisions go through: a store that needs no wrapper (`local`: the memory store, a
   * resilient wrapper) as it is, any other behind a breaker, a timeout and a memory fallback.
   */
  private wrap(primary: RateLimitStore): RateLimitStore {
    const { config, breaker } = this;
    if (primary.local === true) return primary;
    return new ResilientStore({
      primary,
      ...(config.fallbackStore && { fallback: config.fallbackStore }),
      breaker,
      timeoutMs: config.storeTimeoutMs,
      failMode: config.failMode,
      fallbackShare: config.fallbackShare,
      blockedCache: config.blockedCache,
      clock: config.clock,
      timers: config.timers,
      logger: config.logger,
      onFailure: (failure) => safely(() => this.observer?.onStoreFailure?.({ ...failure, store: primary.name })),
    });
  }

  private assertOpen(): void {
    if (this.isClosed) throw new ClosedError('RateLimitManager');
  }
}

/** Builds a manager. Options override `AURUM_API_*` environment variables. */
export function createRateLimitManager<T extends string = never>(options: RateLimitManagerOptions<T> = {}): RateLimitManager<T> {
  return new RateLimitManager(options);
}

/** A value or a promise of it, as a promise (the async API never throws synchronously: callers catch). */
function promised<T>(value: T | Promise<T>): Promise<T> {
  return value instanceof Promise ? value : Promise.resolve(value);
}
