import { assertValidRequest, type BucketPolicy, type ConsumeResult, emissionIntervalUs } from '../algorithms/gcra.js';
import { BoundedMap } from '../util/lru.js';
import type { DecisionSource } from './types.js';

/** A {@link ConsumeResult} that says which store produced it. */
export type SourcedConsumeResult = ConsumeResult & { readonly source: DecisionSource };

/** Denials shorter than this are not worth caching. */
const MIN_BLOCK_MS = 5;
/** Keys remembered at once: the tenants currently hammering past their limit. */
const CAPACITY = 10_000;

interface Blocked {
  /** Local time (ms) before which no request on the key can pass. */
  readonly until: number;
  readonly resetUntil: number;
  /** Once expired: the one primary call that finds out whether the key is still blocked. */
  probe?: Promise<Probe | undefined>;
}

/** A probe's denial, shared with the requests that waited for it. */
interface Probe {
  readonly denial: SourcedConsumeResult;
  readonly cost: number;
}

/**
 * "Denied until T" answers of the shared store, so the same key is denied locally until T
 * without a round trip: a tenant hammering past its limit costs the shared store nothing. The
 * cached wait is a lower bound of the time until one token is back (rounding always errs early),
 * so the cache never denies what the shared store would admit.
 */
export class BlockedCache {
  private readonly entries = new BoundedMap<string, Blocked>(CAPACITY);

  /** A denial for `key` at `now` without asking the shared store, if one is cached and not expired. */
  answer(key: string, policy: BucketPolicy, cost: number, now: number): SourcedConsumeResult | undefined {
    if (this.entries.size === 0) return undefined;
    const entry = this.entries.get(key, now);
    // An expired entry stays until a probe has asked the shared store (see probeOnce).
    if (!entry || now >= entry.until) return undefined;
    // The shared store is not asked, so its argument checks must happen here: a bad cost or rate
    // is the caller's bug and must throw, not come back as a denial with NaN in it.
    assertValidRequest(policy, cost);
    const resetAfterMs = Math.max(0, Math.ceil(entry.resetUntil - now));
    const tooBig = cost > policy.burst;
    const extra = Math.ceil(((cost - 1) * emissionIntervalUs(policy.rate)) / 1000);
    return {
      allowed: false,
      limit: policy.burst,
      remaining: 0,
      // Like the shared store: a cost that can never fit is told to wait for a full bucket.
      retryAfterMs: tooBig ? resetAfterMs : Math.ceil(entry.until - now) + extra,
      resetAfterMs,
      ...(tooBig && { reason: 'cost_exceeds_burst' as const }),
      source: 'blocked-cache',
    };
  }

  /** The key's cached block once it has expired (a live one answers from {@link answer}). */
  expired(key: string, now: number): Blocked | undefined {
    return this.entries.size === 0 ? undefined : this.entries.get(key, now);
  }

  /** Caches a denial of the shared store when the bucket is empty. */
  remember(key: string, policy: BucketPolicy, cost: number, result: ConsumeResult, now: number): void {
    if (result.remaining !== 0 || result.reason) return;
    const oneTokenMs = result.retryAfterMs - 1 - Math.ceil(((cost - 1) * emissionIntervalUs(policy.rate)) / 1000);
    if (oneTokenMs < MIN_BLOCK_MS) return;
    this.entries.set(key, { until: now + oneTokenMs, resetUntil: now + result.resetAfterMs }, now);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /**
   * Right after a cached block expires, one request asks the shared store (`ask`) and requests on
   * the same key meanwhile wait for that answer instead of each making a round trip of their own.
   * When it was a denial, a waiting request of at least the same cost shares it (it arrived at the
   * same moment: the bucket had no room for it either); otherwise it asks too. So a tenant
   * hammering past its limit costs about one round trip per refill, not one per request in
   * flight. The wait is bounded by the store timeout (through `ask`).
   */
  async probeOnce<T>(
    key: string,
    entry: Blocked,
    cost: number,
    now: () => number,
    ask: () => Promise<T>,
    decisionOf: (answer: T) => SourcedConsumeResult,
    fromDenial: (denial: SourcedConsumeResult) => T | Promise<T>,
  ): Promise<T> {
    if (entry.probe !== undefined) {
      const probe = await entry.probe;
      return probe !== undefined && cost >= probe.cost ? fromDenial({ ...probe.denial, source: 'blocked-cache' }) : ask();
    }
    let settle = (_: Probe | undefined): void => {};
    entry.probe = new Promise<Probe | undefined>((resolve) => {
      settle = resolve;
    });
    let probe: Probe | undefined;
    try {
      const answer = await ask();
      const decision = decisionOf(answer);
      if (!decision.allowed) probe = { denial: decision, cost };
      return answer;
    } finally {
      settle(probe);
      // A new denial may have replaced the entry; otherwise the expired one goes.
      if (this.entries.get(key, now()) === entry) this.entries.delete(key);
    }
  }
}
