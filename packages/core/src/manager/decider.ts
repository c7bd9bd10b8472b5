import type { BucketPolicy, ConsumeResult } from '../algorithms/gcra.js';
import type { ResolvedManagerConfig } from '../config/resolve-manager.js';
import { InvalidArgumentError } from '../errors.js';
import type { LoadControl } from '../load/load-control.js';
import { type Logger, silentLogger } from '../observe/logger.js';
import { type RateLimitObserver, safely } from '../observe/observer.js';
import type { PathCache, PathInfo } from '../routing/path-cache.js';
import { BUCKET_NAME, type CompiledRouteRule } from '../routing/route-rules.js';
import type { FleetSync } from '../store/fleet.js';
import type { DecisionSource, LeaseResult, RateLimitStore } from '../store/types.js';
import type { Admission, RateLimitDecision, RateLimitMetadata } from './decision.js';
import { quotaForTier, scaledPolicy } from './policy.js';
import type { CheckOptions, RefundOptions } from './reports.js';
import { type QuotaLease, type QuotaLeases, type ReservedPolicy, reservedPolicy } from './quota-leases.js';
import type { Slots } from './slots.js';
import type { Subject } from './subject.js';
import { contextKey, type TenantContext, leaseKeyOf } from './tenant-context.js';

/** What deciding needs from the manager. */
export interface DeciderDeps {
  readonly config: ResolvedManagerConfig;
  readonly store: RateLimitStore;
  readonly load: LoadControl | undefined;
  readonly observer: RateLimitObserver | undefined;
  readonly fleet: FleetSync | undefined;
  readonly paths: PathCache;
  readonly slots: Slots;
  readonly leases: QuotaLeases;
}

/** A decision, or a decision and its slot (`admit`): what {@link Decider.decide} answers. */
export type Outcome = RateLimitDecision | Admission;

type StoreAnswer = ConsumeResult & { source?: DecisionSource };

/**
 * One decision once the tenant's context and tier are known: route rule, cost and bucket, the
 * policy under the load factor, the store call, metadata, observers and the slot.
 *
 * Synchronous whenever the store can answer without I/O (the memory store; the resilient
 * wrapper's blocked cache and fallback): then no promise exists at all. Otherwise one store call
 * — with `admit`, decision and slot in one round trip when the store can.
 */
export class Decider {
  /** Whether `now` may be handed to the store: only when it decides on this manager's clock. */
  private readonly sharesClock: boolean;
  /** Whether hot tenants' tokens may be leased (leasing on and a store that can take). */
  private readonly leasing: boolean;
  private decisions = 0;

  constructor(private readonly deps: DeciderDeps) {
    this.sharesClock = deps.store.clock === deps.config.clock;
    this.leasing = deps.leases.enabled;
  }

  /**
   * The decision (`wantSlot` false) or the admission (true). `syncOnly` answers `undefined`
   * instead of calling the store asynchronously, before anything changed in the store.
   */
  decide(
    ctx: TenantContext,
    tier: string,
    now: number,
    path: string,
    options: CheckOptions,
    wantSlot: boolean,
    syncOnly: boolean,
  ): Outcome | Promise<Outcome> | undefined {
    const { config, store, load, observer, paths } = this.deps;
    const info = paths.get(path);
    const rule = info.rule(options.method);
    const route = options.route ?? rule?.label ?? info.label;
    if (rule?.rule.skip) {
      const skipped = skippedDecision(ctx.subject, tier, info.normalized, route);
      return wantSlot ? { decision: skipped, slot: undefined } : skipped;
    }
    const cost = options.cost ?? rule?.rule.cost ?? 1;
    if (!(Number.isSafeInteger(cost) && cost >= 1)) throw new InvalidArgumentError(`cost must be a whole number >= 1, got ${String(cost)}`);
    const bucket = options.bucket ?? rule?.rule.bucket ?? 'default';
    if (options.bucket !== undefined && !BUCKET_NAME.test(options.bucket)) {
      throw new InvalidArgumentError(`bucket must match ${BUCKET_NAME}, got ${JSON.stringify(options.bucket)}`);
    }
    const factor = load ? load.factorFor(ctx.quota.priorityBoost) : 1;
    const policy = policyOf(ctx, tier, rule, bucket, factor);
    const shadow = config.shadow || rule?.rule.shadow === true;
    // A store that decides synchronously (the resilient wrapper's blocked cache or open breaker)
    // but takes slots only asynchronously would leave a consumed decision waiting for its slot:
    // `admitSync` answers `undefined` before anything is consumed instead.
    if (syncOnly && wantSlot && store.acquireSync === undefined) return undefined;
    // Timed only when someone listens, and only one decision in eight: two clock reads are a
    // real share of a memory decision, and a sample is as good for a latency histogram.
    const started = observer?.onDecision !== undefined && (++this.decisions & 7) === 0 ? performance.now() : -1;
    const main = bucket === 'default';
    const key = main ? ctx.defaultKey : contextKey(ctx, bucket);
    // A hot tenant's leased tokens first (no I/O); then the store, which may answer without I/O too.
    const lease = main && !shadow && this.leasing ? ctx.quotaLease : undefined;
    let answer: StoreAnswer | undefined = lease === undefined ? undefined : this.deps.leases.trySpend(lease, key, policy, cost, now);
    if (answer === undefined && lease !== undefined && this.deps.leases.wantsTake(lease)) {
      if (syncOnly) return undefined;
      return this.leased(lease, ctx, tier, now, info, route, cost, policy, factor, key, started, wantSlot);
    }
    answer ??= store.consumeSync?.(key, policy, cost, this.sharesClock ? now : undefined, main ? ctx : undefined);
    if (answer !== undefined) {
      return this.withSlot(this.finish(ctx, tier, now, info, route, bucket, cost, policy, factor, shadow, answer, started), ctx, tier, wantSlot);
    }
    if (syncOnly) return undefined;
    return this.remote(ctx, tier, now, info, route, bucket, cost, policy, factor, shadow, key, started, wantSlot);
  }

  /**
   * Gives `cost` tokens back to the bucket a request to `path` (or `bucket`) takes from, under the
   * policy such a request is decided on now: exact when nothing changed since the decision.
   * Synchronous when the store needs no I/O for it.
   */
  refund(ctx: TenantContext, tier: string, cost: number, options: RefundOptions): void | Promise<void> {
    if (!(Number.isSafeInteger(cost) && cost >= 1)) throw new InvalidArgumentError(`cost must be a whole number >= 1, got ${String(cost)}`);
    const { store, load, paths } = this.deps;
    // Without a path, a bucket named by a rule gets that rule's quota, as its requests did.
    const rule =
      options.path !== undefined ? paths.get(options.path).rule(options.method) : options.bucket !== undefined ? paths.ruleOfBucket(options.bucket) : undefined;
    const bucket = options.bucket ?? rule?.rule.bucket ?? 'default';
    if (!BUCKET_NAME.test(bucket)) throw new InvalidArgumentError(`bucket must match ${BUCKET_NAME}, got ${JSON.stringify(bucket)}`);
    if (rule?.rule.skip && options.bucket === undefined) return; // nothing was taken
    const policy = policyOf(ctx, tier, rule, bucket, load ? load.factorFor(ctx.quota.priorityBoost) : 1);
    const key = bucket === 'default' ? ctx.defaultKey : contextKey(ctx, bucket);
    if (store.refundSync?.(key, policy, cost)) return;
    return store.refund?.(key, policy, cost);
  }

  /** The decision of a hot tenant whose lease could not cover it: after a take of a new batch (shared with requests in flight). */
  private async leased(
    lease: QuotaLease,
    ctx: TenantContext,
    tier: string,
    now: number,
    info: PathInfo,
    route: string,
    cost: number,
    policy: BucketPolicy,
    factor: number,
    key: string,
    started: number,
    wantSlot: boolean,
  ): Promise<Outcome> {
    const answer = await this.deps.leases.take(lease, key, policy, cost, now);
    return this.withSlot(this.finish(ctx, tier, now, info, route, 'default', cost, policy, factor, false, answer, started), ctx, tier, wantSlot);
  }

  /** The outcome of a decision made apart from its slot: a slot taken after it (synchronously when the store can), when wanted and allowed. */
  private withSlot(decision: RateLimitDecision, ctx: TenantContext, tier: string, wantSlot: boolean): Outcome | Promise<Outcome> {
    if (!wantSlot) return decision;
    if (!decision.allowed) return { decision, slot: undefined };
    const slot = this.deps.slots.takeSync(ctx, tier);
    if (slot !== undefined) return { decision, slot };
    return this.deps.slots.take(ctx, tier).then((taken) => ({ decision, slot: taken }));
  }

  /** The decision through an asynchronous store call: with a slot wanted and a store that can, both in one round trip. */
  private async remote(
    ctx: TenantContext,
    tier: string,
    now: number,
    info: PathInfo,
    route: string,
    bucket: string,
    cost: number,
    policy: BucketPolicy,
    factor: number,
    shadow: boolean,
    key: string,
    started: number,
    wantSlot: boolean,
  ): Promise<Outcome> {
    const { store, config, slots } = this.deps;
    const slotLimit = wantSlot && store.consumeAndAcquire ? slots.limitOf(ctx).limit : 0;
    let answer: StoreAnswer;
    let lease: LeaseResult | undefined;
    if (slotLimit > 0) {
      const admitted = await (store.consumeAndAcquire as NonNullable<RateLimitStore['consumeAndAcquire']>).call(store, {
        key,
        policy,
        cost,
        leaseKey: leaseKeyOf(ctx),
        limit: slotLimit,
        leaseMs: config.concurrencyLeaseMs,
        leaseAlways: shadow,
      });
      answer = admitted.decision;
      lease = admitted.lease;
    } else answer = await store.consume(key, policy, cost);
    const decision = this.finish(ctx, tier, now, info, route, bucket, cost, policy, factor, shadow, answer, started);
    if (!wantSlot) return decision;
    if (!decision.allowed) return { decision, slot: undefined };
    return { decision, slot: lease !== undefined ? slots.from(ctx, tier, factor, slotLimit, lease) : await slots.take(ctx, tier) };
  }

  /** The decision and its metadata from the store's answer; notes it and tells observers. */
  private finish(
    ctx: TenantContext,
    tier: string,
    now: number,
    info: PathInfo,
    route: string,
    bucket: string,
    cost: number,
    policy: BucketPolicy,
    factor: number,
    shadow: boolean,
    answer: StoreAnswer,
    started: number,
  ): RateLimitDecision {
    const { config, observer } = this.deps;
    const exceeded = !answer.allowed;
    const allowed = !exceeded || shadow;
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
      // A leased tenant is decided on a reserve-reduced burst but told its quota's own.
      limit: (policy as Partial<ReservedPolicy>).shownBurst ?? answer.limit,
      remaining: answer.remaining,
      requestsPerSecond: policy.rate,
      windowSeconds: Math.max(1, Math.ceil(((policy as Partial<ReservedPolicy>).shownBurst ?? policy.burst) / policy.rate)),
      resetAfter: Math.ceil(answer.resetAfterMs / 1000),
      resetAfterMs: answer.resetAfterMs,
      retryAfterMs: answer.retryAfterMs,
      loadFactor: factor,
      source: answer.source ?? 'primary',
      exceeded,
      shadow,
      skipped: false,
      // Always present (possibly undefined): one object shape for every decision is faster.
      durationMs: started >= 0 ? performance.now() - started : undefined,
      // Reached while quotas are cut for load: that is load shedding (503 by default).
      reason: exceeded ? (answer.reason ?? (factor < 1 ? 'load_shed' : 'rate_limited')) : undefined,
    };
    this.remember(ctx, tier, allowed, now);
    if (this.debug) config.logger.debug({ ...metadata }, 'rate limit decision');
    if (observer?.onDecision) safely(() => observer.onDecision?.(metadata));
    return { allowed, retryAfter: allowed ? 0 : Math.max(1, Math.ceil(answer.retryAfterMs / 1000)), metadata };
  }

  /** Notes the decision in the context (status listings) and, with a fleet, in its tenant index. */
  private remember(ctx: TenantContext, tier: string, allowed: boolean, now: number): void {
    ctx.seen = true;
    ctx.lastSeen = now;
    if (allowed) ctx.allowed++;
    else ctx.denied++;
    if (!ctx.subject.anonymous) this.deps.fleet?.recordSeen(ctx.subject.tenantId, tier, now);
  }

  /** Per-decision debug logs only when the logger would print them (pino's isLevelEnabled), never with the silent default. */
  private get debug(): boolean {
    const logger = this.deps.config.logger as Logger & { isLevelEnabled?: (level: string) => boolean };
    return logger !== silentLogger && (logger.isLevelEnabled?.('debug') ?? true);
  }
}

/** The decision of a route a rule says not to limit: no bucket touched. */
/** The policy of `bucket` for a tenant in `tier` under a load factor: the rule's quota for that bucket, else the tenant's. */
function policyOf(ctx: TenantContext, tier: string, rule: CompiledRouteRule | undefined, bucket: string, factor: number): BucketPolicy {
  const ruleQuota = rule?.rule.bucket === bucket && rule.rule.quota ? quotaForTier(rule.rule.quota, tier) : undefined;
  if (ruleQuota === undefined && factor === 1) return ctx.policy;
  const scaled = scaledPolicy(ruleQuota ?? ctx.quota, factor);
  // A leased tenant's main bucket keeps its leasing reserve under load too.
  return ruleQuota === undefined && bucket === 'default' && ctx.quotaLease !== undefined ? reservedPolicy(scaled, ctx.quotaLease.lifeMs) : scaled;
}

function skippedDecision(subject: Subject, tier: string, path: string, route: string): RateLimitDecision {
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
