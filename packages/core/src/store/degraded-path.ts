import { type BucketPolicy, type BucketSnapshot, type ConsumeResult, clampPolicy } from '../algorithms/gcra.js';
import type { Clock } from '../clock.js';
import { StoreUnavailableError } from '../errors.js';
import type { SourcedConsumeResult } from './blocked-cache.js';
import type { DecisionSource, LeaseResult, RateLimitStore } from './types.js';

/** What to do when the primary store cannot answer. */
export type FailMode = 'fallback' | 'open' | 'closed';

/** Marks leases the fallback gave, so their release goes back to it. */
const FALLBACK_LEASE = 'fb:';

/**
 * The answers while the primary store is out, per the fail mode: from the fallback store with
 * 1/`share` of every limit (`fallback`), everything admitted (`open`), or
 * {@link StoreUnavailableError} (`closed`). Synchronous with an in-process fallback, the usual case.
 */
export class DegradedPath {
  constructor(
    private readonly fallback: RateLimitStore,
    private readonly failMode: FailMode,
    private readonly fallbackShare: number,
    /** The clock of the store this path serves: a reading of it may be handed to a fallback on the same clock. */
    private readonly clock: Clock,
    private readonly storeName: string,
  ) {}

  /** The degraded answer, without a promise when it needs none. */
  consume(key: string, policy: BucketPolicy, cost: number): SourcedConsumeResult | Promise<SourcedConsumeResult> {
    return (
      this.consumeSync(key, policy, cost) ??
      this.fallback.consume(key, this.sharePolicy(policy), cost).then((result): SourcedConsumeResult => ({ ...result, source: 'fallback' }))
    );
  }

  /** The degraded answer when it needs no promise (fail-open, fail-closed, or a fallback that decides synchronously), else `undefined`. */
  consumeSync(key: string, policy: BucketPolicy, cost: number, now?: number): SourcedConsumeResult | undefined {
    if (this.failMode === 'open') {
      return { allowed: true, limit: policy.burst, remaining: policy.burst, retryAfterMs: 0, resetAfterMs: 0, source: 'fail-open' };
    }
    if (this.failMode === 'closed') throw this.unavailable();
    const result = this.fallback.consumeSync?.(key, this.sharePolicy(policy), cost, this.fallback.clock === this.clock ? now : undefined);
    return result === undefined ? undefined : withSource(result, 'fallback');
  }

  /** Tokens back to the fallback bucket (scaled like the decision was); false when the fallback needs a promise for it. */
  refundSync(key: string, policy: BucketPolicy, cost: number): boolean {
    if (this.failMode !== 'fallback') return true; // nothing was taken
    return this.fallback.refundSync?.(key, this.sharePolicy(policy), cost) ?? false;
  }

  async refund(key: string, policy: BucketPolicy, cost: number): Promise<void> {
    if (this.refundSync(key, policy, cost)) return;
    await this.fallback.refund?.(key, this.sharePolicy(policy), cost);
  }

  /** A lease while the primary cannot give one. */
  async acquire(key: string, limit: number, leaseMs: number): Promise<LeaseResult> {
    if (this.failMode === 'open') return { allowed: true, active: 0, limit };
    if (this.failMode === 'closed') throw this.unavailable();
    const result = await this.fallback.acquire(key, this.share(limit), leaseMs);
    return result.leaseId === undefined ? result : { ...result, leaseId: FALLBACK_LEASE + result.leaseId };
  }

  /** Returns a fallback lease; false when `leaseId` is the primary's. */
  async release(key: string, leaseId: string): Promise<boolean> {
    if (!leaseId.startsWith(FALLBACK_LEASE)) return false;
    await this.fallback.release(key, leaseId.slice(FALLBACK_LEASE.length));
    return true;
  }

  inspect(key: string, policy: BucketPolicy): Promise<BucketSnapshot> {
    return this.fallback.inspect(key, this.sharePolicy(policy));
  }

  private sharePolicy(policy: BucketPolicy): BucketPolicy {
    if (this.fallbackShare === 1) return policy;
    // Clamped: a slow rate divided by a large share would fall below one request per day.
    return clampPolicy(policy.rate / this.fallbackShare, this.share(policy.burst));
  }

  private share(amount: number): number {
    return Math.max(1, Math.floor(amount / this.fallbackShare));
  }

  private unavailable(): StoreUnavailableError {
    return new StoreUnavailableError(`${this.storeName} store unavailable`);
  }
}

/** Tags a result the memory store just created with its source, in place (no copy on the hot path). */
function withSource(result: ConsumeResult, source: DecisionSource): SourcedConsumeResult {
  (result as { source?: DecisionSource }).source = source;
  return result as SourcedConsumeResult;
}
