import type { DenyReason } from '../algorithms/gcra.js';
import type { DecisionSource } from '../store/types.js';

/** Why a request was (or in shadow mode, would have been) refused. */
export type LimitReason = 'rate_limited' | 'load_shed' | DenyReason;

/** Everything known about one decision. Times are in the unit their name says. */
export interface RateLimitMetadata {
  /** False only when the request is refused (shadow mode lets exceeded requests through). */
  readonly allowed: boolean;
  readonly tenantId: string;
  readonly tier: string;
  readonly anonymous: boolean;
  /** The request path after normalisation. */
  readonly path: string;
  /** Low-cardinality path label for metrics: the route pattern, else the matched rule, else the path with ids folded. */
  readonly route: string;
  /** `default`, or the route rule's separate bucket. */
  readonly bucket: string;
  /** Name of the policy in `RateLimit-Policy`. */
  readonly policy: string;
  readonly cost: number;
  /** Bucket capacity (burst). */
  readonly limit: number;
  /** Whole tokens left. */
  readonly remaining: number;
  /** Effective refill rate, after load adjustment (tokens/s). */
  readonly requestsPerSecond: number;
  /** Seconds a full refill takes (the policy's `w`). */
  readonly windowSeconds: number;
  /** Seconds until the bucket is full again, rounded up. */
  readonly resetAfter: number;
  readonly resetAfterMs: number;
  /** Milliseconds until this request would pass; 0 when it passed. */
  readonly retryAfterMs: number;
  /** Rate multiplier applied for load (1 = none). */
  readonly loadFactor: number;
  readonly source: DecisionSource;
  /** The bucket said no. With `shadow` the request is still allowed. */
  readonly exceeded: boolean;
  readonly shadow: boolean;
  /** A route rule said to skip limiting; no bucket was touched. */
  readonly skipped: boolean;
  /** Time the store took to decide, in ms; measured for a sample of decisions when an observer listens. */
  readonly durationMs?: number;
  readonly reason?: LimitReason;
}

/** The answer of `checkRateLimit`. */
export interface RateLimitDecision {
  readonly allowed: boolean;
  /** Whole seconds to wait before retrying, rounded up; 0 when allowed. */
  readonly retryAfter: number;
  readonly metadata: RateLimitMetadata;
}

/** The answer of `acquireConcurrency`. */
export interface ConcurrencySlot {
  readonly allowed: boolean;
  readonly active: number;
  readonly limit: number;
  readonly tenantId: string;
  readonly tier: string;
  /** Multiplier applied to `maxConcurrentRequests` for load (1 or absent = none); `limit` is already scaled. */
  readonly loadFactor?: number;
  /** Refused only because load reduced the limit: the tenant is under its full `maxConcurrentRequests` (a load shed, not a 429). */
  readonly shed?: boolean;
  /** Returns the slot; idempotent, and a no-op when not allowed. */
  release(): Promise<void>;
}

/** What `RateLimitManager.admit` returns: the decision and, unless refused by rate or skipped, a slot. */
export interface Admission {
  readonly decision: RateLimitDecision;
  /** Present when the decision allowed the request (or shadow mode let it through); release it when the work ends. */
  readonly slot: ConcurrencySlot | undefined;
}
