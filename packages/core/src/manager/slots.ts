import type { LoadControl } from '../load/load-control.js';
import { type RateLimitObserver, safely } from '../observe/observer.js';
import type { LeaseResult, RateLimitStore } from '../store/types.js';
import { RESOLVED } from '../util/resolved.js';
import type { ConcurrencySlot } from './decision.js';
import { concurrencyLimit } from './policy.js';
import { leaseKeyOf, type TenantContext } from './tenant-context.js';

/** What taking and returning concurrency slots needs. */
export interface SlotDeps {
  readonly store: RateLimitStore;
  readonly load: LoadControl | undefined;
  readonly observer: RateLimitObserver | undefined;
  readonly leaseMs: number;
}

/**
 * Concurrency slots: one lease of a tenant's `maxConcurrentRequests` (scaled by load like the
 * rate) per request in flight, returned by `release()` or expiring after `leaseMs`.
 */
export class Slots {
  constructor(private readonly deps: SlotDeps) {}

  /** The tenant's concurrency limit under the current load factor, and that factor. */
  limitOf(ctx: TenantContext): { limit: number; factor: number } {
    const factor = this.deps.load ? this.deps.load.factorFor(ctx.quota.priorityBoost) : 1;
    return { limit: concurrencyLimit(ctx.quota.maxConcurrentRequests, factor), factor };
  }

  /** Takes one slot without a promise when the store can (`acquireSync`), else `undefined`. */
  takeSync(ctx: TenantContext, tier: string): ConcurrencySlot | undefined {
    const { store, leaseMs } = this.deps;
    const { limit, factor } = this.limitOf(ctx);
    const lease = limit === 0 ? { allowed: false, active: 0, limit: 0 } : store.acquireSync?.(leaseKeyOf(ctx), limit, leaseMs);
    return lease === undefined ? undefined : this.from(ctx, tier, factor, limit, lease);
  }

  /** Takes one slot: synchronously from a store that can, else with one store call. */
  async take(ctx: TenantContext, tier: string): Promise<ConcurrencySlot> {
    const { store, leaseMs } = this.deps;
    const { limit, factor } = this.limitOf(ctx);
    const lease =
      limit === 0
        ? { allowed: false, active: 0, limit: 0 }
        : (store.acquireSync?.(leaseKeyOf(ctx), limit, leaseMs) ?? (await store.acquire(leaseKeyOf(ctx), limit, leaseMs)));
    return this.from(ctx, tier, factor, limit, lease);
  }

  /** The slot a lease stands for (taken here or together with the decision). */
  from(ctx: TenantContext, tier: string, factor: number, limit: number, lease: LeaseResult): ConcurrencySlot {
    const { store, observer } = this.deps;
    const subject = ctx.subject;
    if (observer?.onConcurrency)
      safely(() => observer.onConcurrency?.({ tenantId: subject.tenantId, tier, allowed: lease.allowed, active: lease.active, limit }));
    const key = leaseKeyOf(ctx);
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
      // Not async: a store that releases synchronously (memory) costs no promise per request.
      release: () => {
        if (released) return RESOLVED;
        released = true;
        const id = lease.leaseId as string;
        try {
          return store.releaseSync?.(key, id) ? RESOLVED : store.release(key, id);
        } catch (error) {
          return Promise.reject(error);
        }
      },
    };
  }
}
