import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { ResolvedManagerConfig } from '../config/resolve-manager.js';
import type { LoadControl, LoadReport } from '../load/load-control.js';
import type { FleetSync } from '../store/fleet.js';
import type { RateLimitStore } from '../store/types.js';
import { tenantIdProblem } from '../tenant/tenant-id.js';
import type { Overrides } from './overrides.js';
import type { HealthReport, QuotaReport, Readiness, TenantStatus } from './reports.js';
import type { Subject } from './subject.js';
import type { SubjectRegistry } from './subject-registry.js';
import { contextKey, newContext, leaseKeyOf } from './tenant-context.js';
import type { ListingSource } from './tenant-listing.js';
import type { TierCache } from './tier-cache.js';
import type { ReservedPolicy } from './quota-leases.js';

/** Health's load fields with `load.enabled: false`. */
const NO_LOAD: LoadReport = Object.freeze({
  systemLoad: 0,
  fleetLoad: null,
  fleetInstances: null,
  loadFactors: Object.freeze({ free: 1, basic: 1, premium: 1, enterprise: 1 }),
  inFlight: null,
  concurrencyLimit: null,
});

/** What the reports read. */
export interface StatusDeps {
  readonly config: ResolvedManagerConfig;
  readonly store: RateLimitStore;
  readonly breaker: CircuitBreaker;
  readonly load: LoadControl | undefined;
  readonly fleet: FleetSync | undefined;
  readonly overrides: Overrides;
  readonly tiers: TierCache;
  readonly subjects: SubjectRegistry;
  readonly routeBuckets: readonly string[];
  readonly isClosed: () => boolean;
}

/** The manager's read-only views: one tenant's status, the quota table, health, readiness, listings. */
export class StatusReports {
  constructor(private readonly deps: StatusDeps) {}

  /** Status of one tenant, read from the store without consuming. */
  async tenant(tenantId: string): Promise<TenantStatus> {
    const { config, store, subjects, tiers, overrides, fleet, routeBuckets, load } = this.deps;
    const ctx = subjects.untracked(tenantId);
    const tier = await tiers.tierFor(ctx, config.clock.now());
    const quota = ctx.quota;
    const policy = { rate: quota.requestsPerSecond, burst: quota.burstSize };
    const buckets = ['default', ...routeBuckets, ...(ctx.buckets?.keys() ?? [])].filter((b, i, all) => all.indexOf(b) === i);
    // The main bucket on the policy decisions use (a leased tenant's keeps its leasing reserve).
    const snapshots = await Promise.all(buckets.map((b) => store.inspect(contextKey(ctx, b), b === 'default' ? ctx.policy : policy)));
    const main = snapshots[0] ?? { limit: quota.burstSize, remaining: quota.burstSize, resetAfterMs: 0 };
    const activeWindows = snapshots.filter((s) => s.resetAfterMs > 0).length;
    const activeConcurrency = await store.countLeases(leaseKeyOf(ctx));
    const overridden = overrides.has(tenantId);
    let lastSeen = ctx.seen ? ctx.lastSeen : null;
    if (fleet?.lastSeen) {
      const fleetSeen = await fleet.lastSeen(tenantId).catch(() => undefined);
      if (fleetSeen !== undefined && (lastSeen === null || fleetSeen > lastSeen)) lastSeen = fleetSeen;
    }
    return {
      tenantId,
      known: lastSeen !== null || overridden || activeWindows > 0 || activeConcurrency > 0,
      tier,
      quota,
      overridden,
      // The quota's own burst, as decisions report it (a leased tenant is decided on less).
      limit: (ctx.policy as Partial<ReservedPolicy>).shownBurst ?? main.limit,
      remaining: main.remaining,
      resetAfterMs: main.resetAfterMs,
      activeWindows,
      activeConcurrency,
      lastSeen,
      allowed: ctx.allowed,
      denied: ctx.denied,
      loadFactor: load ? load.factorFor(quota.priorityBoost) : 1,
    };
  }

  /** Tier table, overrides and tier rules in effect. */
  quotas(): QuotaReport {
    const { config, overrides } = this.deps;
    return {
      defaultTier: config.defaultTier,
      tiers: config.tiers,
      overrides: overrides.toObject(),
      tierRules: config.tierRules.map((r) => ({ pattern: String(r.pattern), tier: r.tier })),
    };
  }

  /** Current health, including one store ping (bounded by the store timeout). */
  async health(): Promise<HealthReport> {
    const { store, breaker, load, subjects } = this.deps;
    const started = performance.now();
    const storeLatencyMs = await store.ping().then(
      () => Math.round((performance.now() - started) * 1000) / 1000,
      () => null,
    );
    const state = breaker.state;
    const window = breaker.windowCounts();
    return {
      status: state === 'closed' ? 'ok' : 'degraded',
      store: store.name,
      circuitBreaker: state,
      cacheFailures: breaker.totalFailures,
      consecutiveFailures: breaker.consecutiveFailures,
      windowCalls: window.calls,
      failureRate: window.calls === 0 ? null : Math.round((window.failures * 1000) / window.calls) / 10,
      ...(load?.report() ?? NO_LOAD),
      activeTenants: subjects.size,
      storeLatencyMs,
    };
  }

  /** Readiness for probes: see {@link Readiness}. No store round trip. */
  readiness(): Readiness {
    const { breaker, config, isClosed } = this.deps;
    const circuitBreaker = breaker.state;
    if (isClosed()) return { ready: false, reason: 'closed', circuitBreaker };
    if (config.failMode === 'closed' && circuitBreaker === 'open')
      return { ready: false, reason: 'shared store unavailable and failMode is closed', circuitBreaker };
    return { ready: true, circuitBreaker };
  }

  /** What the tenant listing reads. */
  listingSource(): ListingSource {
    const { config, subjects, fleet } = this.deps;
    return {
      contexts: () => subjects.values(),
      context: (tenantId) => subjects.knownTenant(tenantId),
      isTenantId: (id) => tenantIdProblem(id, config.tenantIdRules) === undefined,
      tierOf: (subject) => this.tierOf(subject),
      fleet,
      maxTracked: config.maxTrackedTenants,
      logger: config.logger,
    };
  }

  /** The tier a subject is limited under (its context's, or resolved afresh). */
  tierOf(subject: Subject): string | Promise<string> {
    const { subjects, tiers, config } = this.deps;
    const ctx = subjects.known(subject) ?? newContext(subject);
    return tiers.tierFor(ctx, config.clock.now());
  }
}
