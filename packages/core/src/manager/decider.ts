import type { BucketPolicy, ConsumeResult } from '../algorithms/gcra.js';
import type { ResolvedManagerConfig } from '../config/resolve-manager.js';
import { InvalidArgumentError } from '../errors.js';
import type { LoadControl } from '../load/load-control.js';
import { type Logger, silentLogger } from '../observe/logger.js';
import { type RateLimitObserver, safely } from '../observe/observer.js';
import type { PathCache } from '../routing/path-cache.js';
import { BUCKET_NAME } from '../routing/route-rules.js';
import type { FleetSync } from '../store/fleet.js';
import type { DecisionSource, LeaseResult, RateLimitStore } from '../store/types.js';
import type { Tier } from '../tiers.js';
import type { Admission, RateLimitDecision, RateLimitMetadata } from './decision.js';
import { quotaForTier, scaledPolicy } from './policy.js';
import type { CheckOptions } from './reports.js';
import type { Slots } from './slots.js';
import type { Subject } from './subject.js';
import { contextKey, type TenantContext } from './tenant-context.js';

/** What deciding needs from the manager. */
export interface DeciderDeps {
  readonly config: ResolvedManagerConfig;
  readonly store: RateLimitStore;
  readonly load: LoadControl | undefined;
  readonly observer: RateLimitObserver | undefined;
  readonly fleet: FleetSync | undefined;
  readonly paths: PathCache;
  readonly slots: Slots;
}

const NO_SLOT: Admission['slot'] = undefined;

/**
 * One decision once the tenant's context and tier are known: route rule, cost and bucket, the
 * policy under the load factor, one store call (none when the store answers synchronously, one
 * for decision and slot together when it can), metadata, observers and the slot.
 */
export class Decider {
  /** Whether `now` may be handed to the store: only when it decides on this manager's clock. */
  private readonly sharesClock: boolean;
  private decisions = 0;

  constructor(private readonly deps: DeciderDeps) {
    this.sharesClock = deps.store.clock === deps.config.clock;
  }

  async decide(ctx: TenantContext, tier: Tier, now: number, path: string, options: CheckOptions, wantSlot: boolean): Promise<Admission> {
    const { config, store, load, observer, paths, slots } = this.deps;
    const info = paths.get(path);
    const rule = info.rule(options.method);
    const route = options.route ?? rule?.label ?? info.label;
    if (rule?.rule.skip) return { decision: skippedDecision(ctx.subject, tier, info.normalized, route), slot: NO_SLOT };

    const cost = options.cost ?? rule?.rule.cost ?? 1;
    if (!(Number.isSafeInteger(cost) && cost >= 1)) throw new InvalidArgumentError(`cost must be a whole number >= 1, got ${String(cost)}`);
    const bucket = options.bucket ?? rule?.rule.bucket ?? 'default';
    if (options.bucket !== undefined && !BUCKET_NAME.test(options.bucket)) {
      throw new InvalidArgumentError(`bucket must match ${BUCKET_NAME}, got ${JSON.stringify(options.bucket)}`);
    }
    const quota = ctx.quota;
    const ruleQuota = rule?.rule.bucket === bucket && rule.rule.quota ? quotaForTier(rule.rule.quota, tier) : undefined;
    const factor = load ? load.factorFor(quota.priorityBoost) : 1;
    const policy: BucketPolicy = ruleQuota === undefined && factor === 1 ? ctx.policy : scaledPolicy(ruleQuota ?? quota, factor);

    // Timed only when someone listens, and only one decision in eight: two clock reads are a
    // real share of a memory decision, and a sample is as good for a latency histogram.
    const timed = observer?.onDecision !== undefined && (++this.decisions & 7) === 0;
    const started = timed ? performance.now() : 0;
    const key = contextKey(ctx, bucket);
    const shadow = config.shadow || rule?.rule.shadow === true;
    // A store that can answer without I/O (memory; a cached denial or the fallback) needs no promise.
    let result: (ConsumeResult & { source?: DecisionSource }) | undefined = store.consumeSync?.(key, policy, cost, this.sharesClock ? now : undefined);
    let lease: LeaseResult | undefined;
    let slotLimit = 0;
    if (result === undefined) {
      // With a slot wanted and a store that takes both at once: one round trip, not two.
      slotLimit = wantSlot && store.consumeAndAcquire ? slots.limitOf(ctx).limit : 0;
      if (slotLimit > 0) {
        const admitted = await (store.consumeAndAcquire as NonNullable<RateLimitStore['consumeAndAcquire']>).call(store, {
          key,
          policy,
          cost,
          leaseKey: ctx.leaseKey,
          limit: slotLimit,
          leaseMs: config.concurrencyLeaseMs,
          leaseAlways: shadow,
        });
        result = admitted.decision;
        lease = admitted.lease;
      } else result = await store.consume(key, policy, cost);
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
    if (this.debug) config.logger.debug({ ...metadata }, 'rate limit decision');
    if (observer?.onDecision) safely(() => observer.onDecision?.(metadata));
    const decision: RateLimitDecision = { allowed, retryAfter: allowed ? 0 : Math.max(1, Math.ceil(result.retryAfterMs / 1000)), metadata };
    if (!wantSlot || !allowed) return { decision, slot: NO_SLOT };
    const slot = lease !== undefined ? slots.from(ctx, tier, factor, slotLimit, lease) : await slots.take(ctx, tier);
    return { decision, slot };
  }

  /** Notes the decision in the context (status listings) and, with a fleet, in its tenant index. */
  private remember(ctx: TenantContext, tier: Tier, allowed: boolean, now: number): void {
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
