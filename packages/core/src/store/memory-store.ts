import { assertValidRequest, type BucketPolicy, type BucketSnapshot, type ConsumeResult, gcraConsume, gcraSnapshot } from '../algorithms/gcra.js';
import { type Clock, systemClock, systemTimers, type Timers, unref } from '../clock.js';
import { ClosedError, InvalidArgumentError, RateLimitConfigError } from '../errors.js';
import type { LeaseResult, RateLimitStore } from './types.js';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most buckets (and, separately, most lease sets) kept at once. At the cap the least recently
   * used 1/128 of the keys is dropped, so a flood of random tenants costs bounded memory.
   * @default 100000
   */
  maxKeys?: number;
  /** Milliseconds between background sweeps of expired keys (0 disables). @default 10000 */
  sweepIntervalMs?: number;
  clock?: Clock;
  timers?: Timers;
}

const SWEEP_BATCH = 5_000;

/**
 * In-process store: one `Map` lookup per decision, no timer per key. A bucket is a single
 * number (its GCRA theoretical arrival time), which doubles as its expiry: once it is in the
 * past the bucket is full and the entry can go.
 */
export class MemoryStore implements RateLimitStore {
  readonly name = 'memory';
  readonly local = true;
  readonly maxKeys: number;
  /** Keys dropped because the cap was reached. */
  evictions = 0;
  private readonly buckets = new Map<string, number>();
  private readonly leases = new Map<string, Map<string, number>>();
  private readonly clock: Clock;
  private readonly timers: Timers;
  private sweepHandle: unknown;
  private sweepCursor: Iterator<[string, number]> | undefined;
  private leaseSeq = 0;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 100_000;
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

  async consume(key: string, policy: BucketPolicy, cost: number): Promise<ConsumeResult> {
    this.assertOpen();
    assertValidRequest(policy, cost);
    const nowUs = Math.round(this.clock.now() * 1000);
    const stored = this.buckets.get(key);
    const { tatUs, result } = gcraConsume(stored, nowUs, policy, cost);
    if (stored !== undefined) {
      this.buckets.delete(key); // re-insert below: Map order is our LRU order
    } else if (this.buckets.size >= this.maxKeys) {
      this.evictBatch(this.buckets, nowUs, (tat) => tat);
    }
    if (tatUs > nowUs) this.buckets.set(key, tatUs);
    return result;
  }

  async inspect(key: string, policy: BucketPolicy): Promise<BucketSnapshot> {
    this.assertOpen();
    assertValidRequest(policy, 1);
    return gcraSnapshot(this.buckets.get(key), Math.round(this.clock.now() * 1000), policy);
  }

  async acquire(key: string, limit: number, leaseMs: number): Promise<LeaseResult> {
    this.assertOpen();
    if (!(Number.isSafeInteger(limit) && limit >= 1)) throw new InvalidArgumentError(`limit must be a whole number >= 1, got ${String(limit)}`);
    if (!(typeof leaseMs === 'number' && leaseMs > 0)) throw new InvalidArgumentError(`leaseMs must be a number > 0, got ${String(leaseMs)}`);
    const now = this.clock.now();
    let held = this.leases.get(key);
    if (held === undefined) {
      if (this.leases.size >= this.maxKeys) this.evictBatch(this.leases, now, latestExpiry);
      held = new Map();
      this.leases.set(key, held);
    }
    if (held.size >= limit) purgeExpired(held, now);
    if (held.size >= limit) return { allowed: false, active: held.size, limit };
    const leaseId = `m${(++this.leaseSeq).toString(36)}`;
    held.set(leaseId, now + leaseMs);
    return { allowed: true, active: held.size, limit, leaseId };
  }

  async release(key: string, leaseId: string): Promise<void> {
    const held = this.leases.get(key);
    if (held === undefined) return;
    held.delete(leaseId);
    if (held.size === 0) this.leases.delete(key);
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
    const nowUs = Math.round(this.clock.now() * 1000);
    this.sweepCursor ??= this.buckets.entries();
    for (let i = 0; i < SWEEP_BATCH; i++) {
      const next = this.sweepCursor.next();
      if (next.done) {
        this.sweepCursor = undefined;
        break;
      }
      if (next.value[1] <= nowUs) this.buckets.delete(next.value[0]);
    }
    const now = nowUs / 1000;
    for (const [key, held] of this.leases) {
      purgeExpired(held, now);
      if (held.size === 0) this.leases.delete(key);
    }
  }

  /**
   * Frees room for one key by dropping the least recently used 1/128 of the map in one pass.
   * Batching matters: V8 leaves deleted `Map` entries as holes until it rehashes, so evicting
   * one key per insert would re-scan those holes every time and a flood would go quadratic.
   */
  private evictBatch<V>(map: Map<string, V>, now: number, expiry: (v: V) => number): void {
    let budget = Math.max(1, Math.ceil(this.maxKeys / 128));
    for (const [key, value] of map) {
      map.delete(key);
      if (expiry(value) > now) this.evictions++;
      if (--budget === 0) break;
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
