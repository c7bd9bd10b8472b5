import type { BucketPolicy } from '../algorithms/gcra.js';
import type { TenantQuotaConfig } from '../tiers.js';
import type { BucketHint } from '../store/types.js';
import type { QuotaLease } from './quota-leases.js';
import { bucketKey, leaseKey, type Subject } from './subject.js';

/**
 * What the manager keeps per tenant (or anonymous client group) between decisions: the
 * validated subject, its store keys, its resolved tier and quota (valid while `version` matches
 * the manager's and `tierExpiresAt` is ahead), and the counters status listings show. Caching
 * it is what keeps validation, tier rules and key building off the per-request path.
 */
export interface TenantContext extends BucketHint {
  readonly subject: Subject;
  /** The main bucket's slot in the store's table (a {@link BucketHint}): saves a lookup per decision. */
  slot: number;
  readonly defaultKey: string;
  /** The concurrency lease key, built on first use (see {@link leaseKeyOf}): many tenants never take a slot. */
  lease: string | undefined;
  version: number;
  tierExpiresAt: number;
  tier: string;
  quota: TenantQuotaConfig;
  /** The main bucket's policy at load factor 1 (reused: no allocation per decision). */
  policy: BucketPolicy;
  /** The tenant's quota lease on this instance when it may be leased (docs/scaling.md), else `undefined`. */
  quotaLease: QuotaLease | undefined;
  /** Named buckets used so far, with their store keys. */
  buckets: Map<string, string> | undefined;
  /** Whether a decision has been made (only such contexts are listed). */
  seen: boolean;
  lastSeen: number;
  allowed: number;
  denied: number;
}

export function newContext(subject: Subject): TenantContext {
  return {
    subject,
    slot: -1,
    defaultKey: bucketKey(subject, 'default'),
    lease: undefined,
    version: -1,
    tierExpiresAt: 0,
    tier: 'free',
    quota: { requestsPerSecond: 1, burstSize: 1, maxConcurrentRequests: 1, priorityBoost: 1 },
    policy: { rate: 1, burst: 1 },
    quotaLease: undefined,
    buckets: undefined,
    seen: false,
    lastSeen: 0,
    allowed: 0,
    denied: 0,
  };
}

/** The store key of the context's concurrency leases. */
export function leaseKeyOf(ctx: TenantContext): string {
  ctx.lease ??= leaseKey(ctx.subject);
  return ctx.lease;
}

/** The store key of one of the context's buckets. */
export function contextKey(ctx: TenantContext, bucket: string): string {
  if (bucket === 'default') return ctx.defaultKey;
  ctx.buckets ??= new Map();
  let key = ctx.buckets.get(bucket);
  if (key === undefined) {
    key = bucketKey(ctx.subject, bucket);
    ctx.buckets.set(bucket, key);
  }
  return key;
}

/**
 * Contexts of tenants (by validated tenant id) and of internal subjects (anonymous client groups,
 * by key stem), in two separate maps: a string taken from a request is only ever looked up among
 * tenants, so it can never find an internal subject's context, whatever it spells. Bounded
 * together: when full, the oldest entries of the larger map go first.
 */
export class TenantContexts {
  private readonly tenants = new Map<string, TenantContext>();
  private readonly internal = new Map<string, TenantContext>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.tenants.size + this.internal.size;
  }

  /** The context of a tenant id (only ids that passed validation are ever stored). */
  tenant(id: string): TenantContext | undefined {
    return this.tenants.get(id);
  }

  /** The context of an internal subject, by key stem. */
  internalSubject(stem: string): TenantContext | undefined {
    return this.internal.get(stem);
  }

  /** Stores a context under its subject: tenants by id, internal subjects by stem. */
  add(ctx: TenantContext): TenantContext {
    if (this.size >= this.max) this.evictOldest(this.tenants.size >= this.internal.size ? this.tenants : this.internal);
    const { subject } = ctx;
    if (subject.anonymous) this.internal.set(subject.key, ctx);
    else this.tenants.set(subject.tenantId, ctx);
    return ctx;
  }

  /**
   * Drops the oldest 1/64 in one pass. One at a time would be quadratic under churn: V8 keeps
   * deleted Map entries as holes until it rehashes, and each "find the oldest" walks them again.
   */
  private evictOldest(map: Map<string, TenantContext>): void {
    let budget = Math.max(1, this.max >> 6);
    for (const key of map.keys()) {
      map.delete(key);
      if (--budget === 0) return;
    }
  }

  /** Every context: tenants, then internal subjects. */
  *values(): IterableIterator<TenantContext> {
    yield* this.tenants.values();
    yield* this.internal.values();
  }
}
