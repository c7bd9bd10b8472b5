import type { BucketPolicy } from '../algorithms/gcra.js';
import type { ResolvedManagerConfig } from '../config/resolve-manager.js';
import type { LookupFailure } from '../tenant/tier-resolver.js';
import { TierResolver } from '../tenant/tier-resolver.js';
import type { TenantQuotaConfig } from '../tiers.js';
import type { Overrides } from './overrides.js';
import { leaseLifeMs, QuotaLease, reservedPolicy } from './quota-leases.js';
import type { Subject } from './subject.js';
import type { TenantContext } from './tenant-context.js';

/**
 * The tier and quota of each tenant context, kept in the context and recomputed only when an
 * override changed (the {@link Overrides} version) or a `resolveTier` answer aged out:
 * synchronous unless `resolveTier` must be asked. Detection order: an override's pinned tier, a
 * pinned subject tier (anonymous groups), tier rules, `resolveTier`, the default tier.
 */
export class TierCache {
  private readonly resolver: TierResolver;
  /** One policy object per quota object: the tier quotas are shared, so their tenants share a policy (heap per tenant). */
  private readonly policies = new WeakMap<TenantQuotaConfig, BucketPolicy>();
  /** The same for leased tenants (a quota's lifetime depends only on the quota and its tier). */
  private readonly reserved = new WeakMap<TenantQuotaConfig, BucketPolicy>();

  constructor(
    private readonly config: ResolvedManagerConfig,
    private readonly overrides: Overrides,
    onLookupFailure: (failure: LookupFailure) => void,
  ) {
    this.resolver = new TierResolver({
      rules: config.tierRules,
      ...(config.resolveTier && { resolveTier: config.resolveTier }),
      tiers: Object.keys(config.tiers),
      defaultTier: config.defaultTier,
      cacheSize: config.tierCache.max,
      cacheTtlMs: config.tierCache.ttlMs,
      timeoutMs: config.lookupTimeoutMs,
      clock: config.clock,
      timers: config.timers,
      logger: config.logger,
      onFailure: onLookupFailure,
    });
  }

  /** The context's tier, refreshing tier, quota and policy when they may be stale. */
  tierFor(ctx: TenantContext, now: number): string | Promise<string> {
    const version = this.overrides.version;
    if (ctx.version === version && now < ctx.tierExpiresAt) return ctx.tier;
    const subject = ctx.subject;
    const apply = (tier: string): string => {
      const quota = this.quotaOf(subject, tier);
      ctx.tier = tier;
      ctx.quota = quota;
      const lifeMs = subject.anonymous ? 0 : leaseLifeMs(this.config.leasing, tier, quota);
      ctx.policy = this.policyOf(quota, lifeMs);
      if (lifeMs === 0) ctx.quotaLease = undefined;
      else if (ctx.quotaLease?.lifeMs !== lifeMs) ctx.quotaLease = new QuotaLease(lifeMs);
      ctx.version = version;
      // Answers of resolveTier are re-asked after the tier cache TTL; a stale or default tier
      // used because the lookup failed or is late is re-checked on the next request.
      ctx.tierExpiresAt = this.config.resolveTier === undefined ? Number.POSITIVE_INFINITY : this.resolver.freshUntil(subject.tenantId, now);
      return tier;
    };
    const pinned = subject.tier ?? this.overrides.get(subject.tenantId)?.tier;
    if (pinned) return apply(pinned);
    const resolved = this.resolver.resolve(subject.tenantId);
    return typeof resolved === 'string' ? apply(resolved) : resolved.then(apply);
  }

  /** Forgets a tenant's cached lookup and marks every cached tier stale (after a reset). */
  forget(tenantId: string): void {
    this.resolver.clear(tenantId);
    this.overrides.invalidate();
  }

  /** The quota's policy, reserved for leasing when the tenant may be leased (`lifeMs` > 0); one object per quota. */
  private policyOf(quota: TenantQuotaConfig, lifeMs: number): BucketPolicy {
    const cache = lifeMs > 0 ? this.reserved : this.policies;
    let policy = cache.get(quota);
    if (policy === undefined) {
      const full = { rate: quota.requestsPerSecond, burst: quota.burstSize };
      policy = lifeMs > 0 ? reservedPolicy(full, lifeMs) : full;
      cache.set(quota, policy);
    }
    return policy;
  }

  /** A subject's quota under a tier: the tier's, with the tenant's override merged over it. */
  quotaOf(subject: Subject, tier: string): TenantQuotaConfig {
    // Every tier reaching here was validated against the table (rules, overrides, lookups).
    const base = this.config.tiers[tier] as TenantQuotaConfig;
    const override = subject.anonymous ? undefined : this.overrides.get(subject.tenantId);
    if (!override) return base;
    const { tier: _pinned, ...quota } = override;
    return { ...base, ...quota };
  }
}
