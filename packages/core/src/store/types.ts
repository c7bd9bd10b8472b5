import type { BucketPolicy, BucketSnapshot, ConsumeResult, TakeResult } from '../algorithms/gcra.js';
import type { Clock } from '../clock.js';
import type { FleetSync } from './fleet.js';

/** Where a decision's numbers came from. */
export type DecisionSource = 'primary' | 'fallback' | 'blocked-cache' | 'fail-open' | 'lease';

/** The answer to `acquire`. */
export interface LeaseResult {
  readonly allowed: boolean;
  /** Leases held after this call (including this one when allowed). */
  readonly active: number;
  readonly limit: number;
  /** Present when allowed; pass it to `release`. */
  readonly leaseId?: string;
}

/**
 * Where a caller last saw a bucket in a store's own table, kept by the caller (one per key) and
 * updated by the store: lets the store skip the hash lookup of a key used again. Opaque to the
 * caller; `slot: -1` means unknown. A caller passing a hint reads the answer before its next
 * call: the store may reuse one result object for all hinted calls.
 */
export interface BucketHint {
  slot: number;
}

/** One decision plus a concurrency lease: what {@link RateLimitStore.consumeAndAcquire} takes. */
export interface AdmitRequest {
  /** Bucket key (`{tenant}:b…`). */
  readonly key: string;
  readonly policy: BucketPolicy;
  /** Tokens to take; a whole number ≥ 1. */
  readonly cost: number;
  /** Lease set key; shares `key`'s `{…}` part, so a sharded store keeps both together. */
  readonly leaseKey: string;
  /** Leases allowed at once; a whole number ≥ 1. */
  readonly limit: number;
  /** Lifetime of a lease never released, in whole ms. */
  readonly leaseMs: number;
  /** Take a lease even when the bucket refuses (shadow mode). */
  readonly leaseAlways: boolean;
}

/** The answer to {@link RateLimitStore.consumeAndAcquire}. */
export interface AdmitResult {
  readonly decision: ConsumeResult;
  /** The lease, when one was tried: only after an allowed decision unless `leaseAlways`. */
  readonly lease: LeaseResult | undefined;
}

/**
 * A place to keep bucket and lease state. Every method is one atomic operation: a decision is
 * never a read followed by a write. Keys are opaque to the store except for one convention:
 * keys look like `{tenant}:suffix`, and a store that shards (Redis Cluster) keeps every key with
 * the same `{…}` part together. See docs/writing-a-store.md.
 */
export interface RateLimitStore {
  /** Short name for logs and metrics, e.g. `memory`, `redis`. */
  readonly name: string;
  /** Takes `cost` tokens from the bucket at `key` if they are there; returns the whole decision. */
  consume(key: string, policy: BucketPolicy, cost: number): Promise<ConsumeResult>;
  /** Reads a bucket without changing it. A bucket never written is full. */
  inspect(key: string, policy: BucketPolicy): Promise<BucketSnapshot>;
  /**
   * Takes one of `limit` concurrency leases at `key`. A lease not released expires after
   * `leaseMs`, so a crashed process cannot leak slots.
   */
  acquire(key: string, limit: number, leaseMs: number): Promise<LeaseResult>;
  /**
   * Optional: {@link consume} and, when it allows (or always, with `leaseAlways`), {@link acquire}
   * as one atomic operation — one round trip instead of two for a remote store. Stores without
   * it get the two calls in sequence. Validate with `assertValidAdmitRequest`.
   */
  consumeAndAcquire?(request: AdmitRequest): Promise<AdmitResult>;
  /**
   * Optional: takes as many tokens as the bucket holds, up to `max` and at least `min` (else none:
   * the answer is then a consume of `min`, denied), in one atomic operation. The manager leases a
   * hot tenant's tokens with it (see docs/scaling.md); a store without it is never leased from.
   */
  takeUpTo?(key: string, policy: BucketPolicy, min: number, max: number): Promise<TakeResult>;
  /**
   * Optional: gives `cost` tokens back to the bucket at `key` (the request they paid for should
   * not count: it failed, or succeeded, as the application decides). The bucket's TAT moves back
   * by `cost` emission intervals of `policy`, never past a full bucket: the exact inverse of an
   * allowed consume of the same cost and policy. A missing or full bucket is left as it is. A
   * store without it cannot refund (the manager says so once, in the log).
   */
  refund?(key: string, policy: BucketPolicy, cost: number): Promise<void>;
  /** Optional: {@link refund} without a promise; false when it needs the async call. */
  refundSync?(key: string, policy: BucketPolicy, cost: number): boolean;
  /** Returns a lease. Idempotent: releasing twice, or after expiry, is a no-op. */
  release(key: string, leaseId: string): Promise<void>;
  /** Live leases at `key`. */
  countLeases(key: string): Promise<number>;
  /** Forgets all state at `key` (bucket and leases). */
  reset(key: string): Promise<void>;
  /** Resolves when the store can serve requests; rejects otherwise. */
  ping(): Promise<void>;
  /** Releases timers and connections the store owns. Idempotent. */
  close(): Promise<void>;

  /**
   * Needs no resilient wrapper: in-process and unable to fail (the memory store), or a wrapper
   * already (`ResilientStore`). The manager uses such a store directly; any other store is put
   * behind a breaker, a timeout and a memory fallback.
   */
  readonly local?: boolean;
  /**
   * The clock the store decides on, when it decides on a local one. A caller that reads the same
   * clock may pass its reading as `nowMs` to the synchronous methods and save a second read.
   */
  readonly clock?: Clock;
  /**
   * Optional: {@link consume} without a promise when the answer needs no I/O (always for the
   * memory store; a cached denial or the fallback for the resilient wrapper), else `undefined`
   * (then call {@link consume}). `nowMs` must come from {@link clock}; `hint` (optional) lets a
   * store with a table of its own skip the lookup of a key used again.
   */
  consumeSync?(key: string, policy: BucketPolicy, cost: number, nowMs?: number, hint?: BucketHint): ConsumeResult | undefined;
  /** Optional: {@link acquire} without a promise when it needs no I/O, else `undefined`. */
  acquireSync?(key: string, limit: number, leaseMs: number): LeaseResult | undefined;
  /** Optional: {@link release} without a promise; false when it needs the async call. */
  releaseSync?(key: string, leaseId: string): boolean;
  /** Optional: drops state held in this process for `key` (caches, fallback) after a quota change or reset. */
  clearLocal?(key: string): Promise<void>;
  /**
   * True while the first connection is still being made. Calls made then wait for it (see
   * {@link whenConnected}) and go to the fallback, without counting as failures, only when it
   * takes longer than the store timeout; a cold start never opens the breaker.
   */
  isStarting?(): boolean;
  /**
   * Resolves once the first connection is made (rejects if it fails). While {@link isStarting},
   * the resilient wrapper waits for it, up to the store timeout, before falling back.
   */
  whenConnected?(): Promise<void>;
  /**
   * Calls `listener` each time the store's connection is back after it was lost (not on the
   * first connect); returns a function that unsubscribes. The wrapper then lets an open breaker
   * probe at once instead of serving from the fallback for the rest of its reset timeout. A
   * store without a connection of its own leaves it out.
   */
  onReconnect?(listener: () => void): () => void;
  /** Fleet-wide overrides, resets and tenant index, for stores shared by many instances. */
  readonly fleet?: FleetSync;
}

export type { BucketPolicy, BucketSnapshot, ConsumeResult };
