// Local quota leasing for hot tenants (issue 13; docs/scaling.md derives the bound). An instance
// that sees a tenant often takes a batch of its tokens from the shared bucket in one call and
// spends them without a round trip until they run out or the lease ends; unspent tokens go back.
import type { BucketPolicy, ConsumeResult, TakeResult } from '../algorithms/gcra.js';
import { type Clock, type Timers, unref } from '../clock.js';
import type { Logger } from '../observe/logger.js';
import type { DecisionSource, RateLimitStore } from '../store/types.js';
import type { TenantQuotaConfig } from '../tiers.js';
import type { LeasingOptions, ResolvedLeasing } from './leasing-options.js';

/** Shortest lease worth taking, in ms: below it the tenant is decided per request. */
const MIN_LEASE_MS = 5;
/** Takes a request waits for (each shared with others) before it takes a batch of its own. */
const MAX_WAITS = 4;
/** How often observed rates are recomputed and expired leases returned, in ms. */
const TICK_MS = 100;

/**
 * How long a lease of this tenant may live, in ms, or 0 when it is not leased (leasing off, an
 * excluded tier, a rate below `minRate`, or a window too short to lease within).
 */
export function leaseLifeMs(leasing: ResolvedLeasing, tier: string, quota: TenantQuotaConfig): number {
  if (leasing === false || quota.requestsPerSecond < leasing.minRate || leasing.excludeTiers.includes(tier)) return 0;
  const life = Math.min(leasing.maxLeaseMs, Math.floor((leasing.burstShare * quota.burstSize * 1000) / quota.requestsPerSecond));
  return life >= MIN_LEASE_MS ? life : 0;
}

/**
 * The policy every decision of a leased tenant runs on, on every instance: the burst less what
 * the bucket refills during one lease (rate × lifetime). Tokens held in leases were taken at most
 * one lifetime ago, so held tokens plus the bucket's level never exceed the full burst, and the
 * fleet admits at most burst + rate × elapsed over any interval (docs/scaling.md).
 */
export function reservedPolicy(policy: BucketPolicy, lifeMs: number): ReservedPolicy {
  return { rate: policy.rate, burst: Math.max(1, policy.burst - Math.ceil((policy.rate * lifeMs) / 1000)), shownBurst: policy.burst };
}

/**
 * A leased tenant's policy: decided on the reduced burst, reported with the quota's own
 * (`limit` and the policy headers name the quota the user configured, not the reserve).
 */
export interface ReservedPolicy extends BucketPolicy {
  readonly shownBurst: number;
}

/** A store answer a leased decision is built from. */
export type LeaseAnswer = ConsumeResult & { source?: DecisionSource };

/**
 * One batch of tokens taken in one `takeUpTo`. Tokens may be spent until `expiresAt` (one lease
 * life after the take was sent): held tokens are then never older than a lease life, which is
 * what the reserve covers. Requests that were waiting for this very take may spend it even when
 * it arrives late: for them it is their own decision on the shared bucket, like a consume.
 */
interface Batch {
  tokens: number;
  readonly expiresAt: number;
}

/** One tenant's lease on this instance, kept in its context. */
export class QuotaLease {
  /** Batches held, oldest first (at most two: the one being spent and the next, prefetched). */
  batches: Batch[] = [];
  /** The policy and key they were taken under: a changed policy (an override) revokes them. */
  policy: BucketPolicy | undefined;
  key = '';
  /** A take in flight: requests that find no tokens wait for its batch instead of asking on their own. */
  taking: Promise<Batch | undefined> | undefined;
  /** Requests seen since `since`, and the rate they made at the last tick (per second). */
  seen = 0;
  since = 0;
  rate = 0;
  /** The last take emptied the bucket (granted less than asked): the tenant is at its rate. */
  drained = false;
  /** The last take was not answered by the shared store (an outage): waiting for the next helps no one. */
  outage = false;
  /** The bucket as the last take saw it, for `remaining` and reset estimates. */
  bucketRemaining = 0;
  bucketResetAt = 0;

  constructor(readonly lifeMs: number) {}

  /** Tokens held and spendable now (after {@link QuotaLeases} dropped expired batches). */
  get tokens(): number {
    let sum = 0;
    for (const batch of this.batches) sum += batch.tokens;
    return sum;
  }
}

interface QuotaLeasesDeps {
  readonly store: RateLimitStore;
  readonly leasing: ResolvedLeasing;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** Live instances of the fleet, when known: a lease is at most 1/instances of the burst. */
  readonly instances: () => number | undefined;
}

type TakeAnswer = TakeResult & { source?: DecisionSource };

/**
 * The leases of this instance. Spending a held token is synchronous and asks nothing; a take is
 * one `takeUpTo` call shared by every request that arrives while it is in flight, and the next
 * batch is fetched in the background when half of the current one is gone (held beside it, not
 * traded for it: no refund per take). Expired batches are refunded by a sweep; `close()`
 * refunds what is held.
 */
export class QuotaLeases {
  private readonly live = new Set<QuotaLease>();
  private timer: unknown;

  constructor(private readonly deps: QuotaLeasesDeps) {}

  /** Whether leases can be taken at all (leasing on and a store that can take). */
  get enabled(): boolean {
    return this.deps.leasing !== false && typeof this.deps.store.takeUpTo === 'function';
  }

  /**
   * The answer from the tenant's lease when it holds the tokens (no I/O), else `undefined`.
   * Counts the request towards the tenant's observed rate here.
   */
  trySpend(lease: QuotaLease, key: string, policy: BucketPolicy, cost: number, now: number): LeaseAnswer | undefined {
    if (lease.key !== key || !samePolicy(lease.policy, policy)) this.revoke(lease, policy, key);
    lease.seen++;
    if (now - lease.since >= TICK_MS) this.observe(lease, now);
    return this.spendable(lease, now) >= cost ? this.spend(lease, cost, now) : undefined;
  }

  /** Whether a request the lease could not cover should take a batch (the tenant is hot here, or a take is in flight). */
  wantsTake(lease: QuotaLease): boolean {
    return lease.taking !== undefined || lease.rate >= (this.deps.leasing as Required<LeasingOptions<string>>).threshold;
  }

  /** Drops a tenant's tokens without giving them back (a reset, a changed quota): fewer admitted, never more. */
  revoke(lease: QuotaLease, policy?: BucketPolicy, key?: string): void {
    for (const batch of lease.batches) batch.tokens = 0;
    lease.batches = [];
    lease.policy = policy;
    if (key !== undefined) lease.key = key;
    this.live.delete(lease);
  }

  /** Gives every held token back (shutdown); bounded by the store's own timeout. */
  async close(): Promise<void> {
    if (this.timer !== undefined) this.deps.timers.clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.live].map((lease) => this.giveBack(lease)));
  }

  /**
   * Waits for the take in flight (or starts one), then spends from its batch or answers with
   * its denial (after {@link wantsTake}). Only one take per tenant is in flight at a time.
   */
  async take(lease: QuotaLease, key: string, policy: BucketPolicy, cost: number, now: number): Promise<LeaseAnswer> {
    // Bounded: under overload a take is always in flight, and a request must end some time.
    for (let waited = 0; lease.taking !== undefined && waited < MAX_WAITS; waited++) {
      const batch = await lease.taking;
      const at = this.deps.clock.now();
      if (!samePolicy(lease.policy, policy) || lease.outage) break;
      // The batch this request waited for is its own decision on the shared bucket, late or not.
      if (batch !== undefined && batch.tokens >= cost) return this.spendFrom(lease, batch, cost, at);
      if (this.spendable(lease, at) >= cost) return this.spend(lease, cost, at);
      // The take emptied the bucket and its tokens went to requests ahead of this one: the tenant
      // is over its rate, so this request is refused here rather than by one more round trip
      // (refusing is always within the bound).
      if (lease.drained) return this.refusal(lease, policy, cost, at);
    }
    const { result, batch } = await this.takeBatch(lease, key, policy, cost, now);
    // The fallback answered (the shared store is out): its decision for this request, reported as
    // the fallback's, and nothing held.
    if (result.source !== undefined && result.source !== 'primary') return result;
    const at = this.deps.clock.now();
    if (batch !== undefined && batch.tokens >= cost) return this.spendFrom(lease, batch, cost, at);
    // Denied (or the batch went to requests ahead of this one): the take's answer for this cost.
    return result.granted > 0 ? { ...result, allowed: false, remaining: 0, retryAfterMs: Math.max(1, result.retryAfterMs) } : result;
  }

  /** A local refusal of a drained tenant: retry when the bucket has refilled this request's cost. */
  private refusal(lease: QuotaLease, policy: BucketPolicy, cost: number, now: number): LeaseAnswer {
    const retryAfterMs = Math.max(1, Math.ceil((cost * 1000) / policy.rate));
    return {
      allowed: false,
      limit: policy.burst,
      remaining: 0,
      retryAfterMs,
      resetAfterMs: Math.max(retryAfterMs, lease.bucketResetAt - now),
      source: 'lease',
    };
  }

  /** Tokens spendable now; expired batches are refunded (their tokens were never spent). */
  private spendable(lease: QuotaLease, now: number): number {
    const batches = lease.batches;
    while (batches.length > 0 && now >= (batches[0] as Batch).expiresAt) {
      const expired = batches.shift() as Batch;
      if (expired.tokens > 0 && lease.policy !== undefined) this.refundQuietly(lease.key, lease.policy, expired.tokens);
      expired.tokens = 0;
    }
    return batches.length === 0 ? 0 : lease.tokens;
  }

  /** Spends `cost` from the held batches, oldest first (the caller checked they hold it). */
  private spend(lease: QuotaLease, cost: number, now: number): LeaseAnswer {
    let due = cost;
    for (const batch of lease.batches) {
      const used = Math.min(due, batch.tokens);
      batch.tokens -= used;
      due -= used;
      if (due === 0) break;
    }
    while (lease.batches.length > 1 && (lease.batches[0] as Batch).tokens === 0) lease.batches.shift();
    return this.answer(lease, cost, now);
  }

  /** Spends `cost` from one batch (a request that waited for it). */
  private spendFrom(lease: QuotaLease, batch: Batch, cost: number, now: number): LeaseAnswer {
    batch.tokens -= cost;
    return this.answer(lease, cost, now);
  }

  private answer(lease: QuotaLease, cost: number, now: number): LeaseAnswer {
    const held = lease.tokens;
    // Fetch the next batch before this one runs out, so a steady tenant rarely waits.
    if (lease.taking === undefined && held < this.batchSize(lease, cost) / 4) this.prefetch(lease, now);
    const policy = lease.policy as BucketPolicy;
    const remaining = Math.min(policy.burst, held + lease.bucketRemaining);
    return { allowed: true, limit: policy.burst, remaining, retryAfterMs: 0, resetAfterMs: Math.max(0, lease.bucketResetAt - now), source: 'lease' };
  }

  private prefetch(lease: QuotaLease, now: number): void {
    this.takeBatch(lease, lease.key, lease.policy as BucketPolicy, 1, now).catch((error: unknown) => {
      this.deps.logger.debug({ err: error }, 'quota lease prefetch failed');
    });
  }

  /** One take of a batch, shared by whoever waits on `lease.taking`; the batch joins the lease. */
  private takeBatch(lease: QuotaLease, key: string, policy: BucketPolicy, min: number, now: number): Promise<{ result: TakeAnswer; batch: Batch | undefined }> {
    const store = this.deps.store;
    // What can be spent within the new batch's life once the tokens held now are gone: a bigger
    // batch would only expire partly unspent (and cost a refund).
    // (three quarters of a life's spending, so arrival jitter rarely strands a token or two).
    const max = Math.max(min, Math.floor((this.batchSize(lease, min) * 3) / 4) - lease.tokens);
    const call = (store.takeUpTo as NonNullable<RateLimitStore['takeUpTo']>).call(store, key, policy, min, max) as Promise<TakeAnswer>;
    let done: (batch: Batch | undefined) => void = () => {};
    lease.taking = new Promise<Batch | undefined>((resolve) => {
      done = resolve;
    });
    return call.then(
      (result) => {
        let batch: Batch | undefined;
        // A batch taken under a policy that changed meanwhile is dropped, not spent; a batch the
        // fallback granted is that request's decision only.
        const primary = result.source === undefined || result.source === 'primary';
        lease.outage = !primary;
        if (primary) lease.drained = result.granted < max;
        if (result.granted > 0 && samePolicy(lease.policy, policy) && primary) {
          batch = { tokens: result.granted, expiresAt: now + lease.lifeMs };
          lease.batches.push(batch);
          lease.bucketRemaining = result.remaining;
          lease.bucketResetAt = this.deps.clock.now() + result.resetAfterMs;
          this.track(lease);
        }
        lease.taking = undefined;
        done(batch);
        return { result, batch };
      },
      (error: unknown) => {
        lease.outage = true;
        lease.taking = undefined;
        done(undefined);
        throw error;
      },
    );
  }

  /** Tokens to take: what this instance spends of the tenant in one lease life, at most its share of the burst. */
  private batchSize(lease: QuotaLease, cost: number): number {
    const policy = lease.policy;
    if (policy === undefined) return cost;
    const want = Math.ceil((Math.max(lease.rate, 1) * lease.lifeMs) / 1000);
    const share = Math.max(1, Math.floor(policy.burst / Math.max(2, this.deps.instances() ?? 2)));
    return Math.max(cost, Math.min(want, share));
  }

  private observe(lease: QuotaLease, now: number): void {
    const elapsed = now - lease.since;
    lease.rate = lease.since === 0 ? 0 : (lease.seen * 1000) / elapsed;
    lease.seen = 0;
    lease.since = now;
  }

  private track(lease: QuotaLease): void {
    this.live.add(lease);
    if (this.timer === undefined) {
      this.timer = this.deps.timers.setInterval(() => this.sweep(), TICK_MS);
      unref(this.timer);
    }
  }

  /** Returns the tokens of batches that ended unspent; stops the timer when no lease holds any. */
  private sweep(): void {
    const now = this.deps.clock.now();
    for (const lease of this.live) {
      this.spendable(lease, now);
      if (lease.batches.length === 0) this.live.delete(lease);
    }
    if (this.live.size === 0 && this.timer !== undefined) {
      this.deps.timers.clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private giveBack(lease: QuotaLease): Promise<void> {
    const now = this.deps.clock.now();
    const tokens = this.spendable(lease, now);
    this.revoke(lease, lease.policy);
    if (tokens <= 0 || lease.policy === undefined) return Promise.resolve();
    return this.refund(lease.key, lease.policy, tokens);
  }

  private refundQuietly(key: string, policy: BucketPolicy, tokens: number): void {
    this.refund(key, policy, tokens).catch(() => {});
  }

  private async refund(key: string, policy: BucketPolicy, tokens: number): Promise<void> {
    try {
      await this.deps.store.refund?.(key, policy, tokens);
    } catch (error) {
      this.deps.logger.debug({ err: error, key }, 'quota lease refund failed; the tokens come back as the bucket refills');
    }
  }
}

/** Policies by value: a load-scaled policy is a new object per decision, the same bucket all the same. */
function samePolicy(a: BucketPolicy | undefined, b: BucketPolicy): boolean {
  return a !== undefined && a.rate === b.rate && a.burst === b.burst;
}
