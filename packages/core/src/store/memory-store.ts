import {
  type BucketPolicy,
  type BucketSnapshot,
  type ConsumeResult,
  gcraRefund,
  gcraTakeUpTo,
  type TakeResult,
  gcraSnapshot,
  gcraStep,
  lastStep,
  scratchResult,
} from '../algorithms/gcra.js';
import { type Clock, systemClock, systemTimers, type Timers, unref } from '../clock.js';
import { ClosedError, RateLimitConfigError } from '../errors.js';
import { BucketTable } from './bucket-table.js';
import type { AdmitRequest, AdmitResult, BucketHint, LeaseResult, RateLimitStore } from './types.js';
import { assertValidAdmitRequest, assertValidLease } from './validate.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most buckets (and, separately, most lease sets) kept at once. At the cap an expired or not
   * recently used bucket is dropped (CLOCK eviction), so a flood of random tenants costs bounded
   * memory while active tenants keep their state.
   * @default 1000000 (about 90 MB at most)
   */
  maxKeys?: number;
  /** Milliseconds between background sweeps of expired keys (0 disables). @default 10000 */
  sweepIntervalMs?: number;
  clock?: Clock;
  timers?: Timers;
}

const SWEEP_BATCH = 5_000;

/**
 * In-process store: one `Map` lookup per decision, no timer per key, no allocation per decision
 * once warm. A bucket is a single number (its GCRA theoretical arrival time), which doubles as
 * its expiry: once it is in the past the bucket is full and the entry can go.
 */
export class MemoryStore implements RateLimitStore {
  readonly name = 'memory';
  readonly local = true;
  readonly maxKeys: number;
  private leaseEvictions = 0;
  private readonly buckets: BucketTable;
  private readonly leases = new Map<string, Map<string, number>>();
  /** The clock decisions are made on (see {@link RateLimitStore.clock}). */
  readonly clock: Clock;
  private readonly timers: Timers;
  private sweepHandle: unknown;
  private leaseSeq = 0;
  private readonly scratch = scratchResult();
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 1_000_000;
    const sweep = options.sweepIntervalMs ?? 10_000;
    const issues = [];
    if (!(Number.isSafeInteger(maxKeys) && maxKeys >= 1)) {
      issues.push({ key: 'maxKeys', message: `must be a whole number >= 1, got ${String(maxKeys)}` });
    }
    if (!(typeof sweep === 'number' && sweep >= 0)) {
      issues.push({ key: 'sweepIntervalMs', message: `must be a number >= 0, got ${String(sweep)}` });
    }
    if (issues.length > 0) throw new RateLimitConfigError(issues);
    this.maxKeys = maxKeys;
    this.buckets = new BucketTable(maxKeys);
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    if (sweep > 0) {
      this.sweepHandle = this.timers.setInterval(() => this.sweep(), sweep);
      unref(this.sweepHandle);
    }
  }

  /** Buckets currently held (for tests and gauges). */
  get size(): number {
    return this.buckets.size;
  }

  /** Live keys dropped because the cap was reached. */
  get evictions(): number {
    return this.buckets.evictions + this.leaseEvictions;
  }

  async consume(key: string, policy: BucketPolicy, cost: number): Promise<ConsumeResult> {
    return this.consumeSync(key, policy, cost);
  }

  /**
   * {@link consume} without the promise, for in-process callers on the hot path. `nowMs` lets a
   * caller that already read the (same) clock save a second read; `hint` (see {@link BucketHint})
   * saves the hash lookup of a key used again.
   */
  consumeSync(key: string, policy: BucketPolicy, cost: number, nowMs = this.clock.now(), hint?: BucketHint): ConsumeResult {
    this.assertOpen();
    const nowUs = Math.round(nowMs * 1000);
    const table = this.buckets;
    const slot = hint === undefined ? table.find(key) : table.findHinted(key, hint.slot);
    // gcraStep validates policy and cost: the one check on this path. A caller with a hint reads
    // the answer at once, so it gets the one reused result object (no allocation per decision).
    const result = gcraStep(slot < 0 ? undefined : table.tatAt(slot), nowUs, policy, cost, hint === undefined ? undefined : this.scratch);
    const tatUs = lastStep.tatUs;
    let at = slot;
    if (tatUs > nowUs) {
      if (slot < 0) at = table.insert(key, tatUs, nowUs);
      else table.update(slot, tatUs);
    } else if (slot >= 0) {
      table.remove(slot); // full again: nothing worth keeping
      at = -1;
    }
    if (hint !== undefined) hint.slot = at;
    return result;
  }

  async inspect(key: string, policy: BucketPolicy): Promise<BucketSnapshot> {
    this.assertOpen();
    const slot = this.buckets.find(key);
    return gcraSnapshot(slot < 0 ? undefined : this.buckets.tatAt(slot), Math.round(this.clock.now() * 1000), policy);
  }

  async takeUpTo(key: string, policy: BucketPolicy, min: number, max: number): Promise<TakeResult> {
    return this.takeUpToSync(key, policy, min, max);
  }

  /** {@link takeUpTo} without the promise. */
  takeUpToSync(key: string, policy: BucketPolicy, min: number, max: number, nowMs = this.clock.now()): TakeResult {
    this.assertOpen();
    const nowUs = Math.round(nowMs * 1000);
    const table = this.buckets;
    const slot = table.find(key);
    const result = gcraTakeUpTo(slot < 0 ? undefined : table.tatAt(slot), nowUs, policy, min, max);
    const tatUs = lastStep.tatUs;
    if (tatUs > nowUs) {
      if (slot < 0) table.insert(key, tatUs, nowUs);
      else table.update(slot, tatUs);
    } else if (slot >= 0) table.remove(slot);
    return result;
  }

  async refund(key: string, policy: BucketPolicy, cost: number): Promise<void> {
    this.refundSync(key, policy, cost);
  }

  /** {@link refund} without the promise: exact, atomic as everything in one process is. */
  refundSync(key: string, policy: BucketPolicy, cost: number): true {
    this.assertOpen();
    const table = this.buckets;
    const slot = table.find(key);
    const tatUs = gcraRefund(slot < 0 ? undefined : table.tatAt(slot), Math.round(this.clock.now() * 1000), policy, cost);
    if (slot >= 0) {
      if (tatUs === undefined) table.remove(slot);
      else table.update(slot, tatUs);
    }
    return true;
  }

  async acquire(key: string, limit: number, leaseMs: number): Promise<LeaseResult> {
    return this.acquireSync(key, limit, leaseMs);
  }

  /** {@link acquire} without the promise, for in-process callers on the hot path. */
  acquireSync(key: string, limit: number, leaseMs: number, now = this.clock.now()): LeaseResult {
    this.assertOpen();
    assertValidLease(limit, leaseMs);
    let held = this.leases.get(key);
    if (held === undefined) {
      if (this.leases.size >= this.maxKeys) this.evictLeases(now);
      held = new Map();
      this.leases.set(key, held);
    }
    if (held.size >= limit) purgeExpired(held, now);
    if (held.size >= limit) return { allowed: false, active: held.size, limit };
    const leaseId = `m${(++this.leaseSeq).toString(36)}`;
    held.set(leaseId, now + leaseMs);
    return { allowed: true, active: held.size, limit, leaseId };
  }

  /** A decision and, when it allows (or `leaseAlways`), a lease: atomic, as everything in one process is. */
  async consumeAndAcquire(request: AdmitRequest): Promise<AdmitResult> {
    assertValidAdmitRequest(request);
    const { key, policy, cost, leaseKey, limit, leaseMs, leaseAlways } = request;
    const now = this.clock.now();
    const decision = this.consumeSync(key, policy, cost, now);
    return { decision, lease: decision.allowed || leaseAlways ? this.acquireSync(leaseKey, limit, leaseMs, now) : undefined };
  }

  async release(key: string, leaseId: string): Promise<void> {
    this.releaseSync(key, leaseId);
  }

  /** {@link release} without the promise. An emptied set stays for reuse until a sweep. */
  releaseSync(key: string, leaseId: string): true {
    this.leases.get(key)?.delete(leaseId);
    return true;
  }

  async countLeases(key: string): Promise<number> {
    const held = this.leases.get(key);
    if (held === undefined) return 0;
    purgeExpired(held, this.clock.now());
    return held.size;
  }

  async reset(key: string): Promise<void> {
    this.buckets.delete(key);
    this.leases.delete(key);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepHandle !== undefined) this.timers.clearInterval(this.sweepHandle);
    this.buckets.clear();
    this.leases.clear();
  }

  /** Drops expired buckets and lease sets, a bounded batch per call so a huge map never stalls the loop. */
  sweep(): void {
    const now = this.clock.now();
    this.buckets.sweep(Math.round(now * 1000), SWEEP_BATCH);
    for (const [key, held] of this.leases) {
      purgeExpired(held, now);
      if (held.size === 0) this.leases.delete(key);
    }
  }

  private evictLeases(now: number): void {
    // Expired lease sets first (scan a few of the oldest), else the oldest set.
    let scanned = 0;
    for (const [key, held] of this.leases) {
      if (latestExpiry(held) <= now) {
        this.leases.delete(key);
        return;
      }
      if (++scanned >= 8) break;
    }
    const oldest = this.leases.keys().next();
    if (!oldest.done) {
      this.leases.delete(oldest.value);
      this.leaseEvictions++;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('MemoryStore');
  }
}

function purgeExpired(held: Map<string, number>, now: number): void {
  for (const [id, expiresAt] of held) if (expiresAt <= now) held.delete(id);
}

function latestExpiry(held: Map<string, number>): number {
  let latest = 0;
  for (const expiresAt of held.values()) if (expiresAt > latest) latest = expiresAt;
  return latest;
}
