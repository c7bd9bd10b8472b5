import type { BucketPolicy, BucketSnapshot, TakeResult } from '../algorithms/gcra.js';
import { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { type Clock, systemClock, systemTimers, type Timers } from '../clock.js';
import { StoreUnavailableError } from '../errors.js';
import { LogThrottle } from '../observe/log-throttle.js';
import { type Logger, silentLogger } from '../observe/logger.js';
import { BlockedCache, type SourcedConsumeResult } from './blocked-cache.js';
import { DeadlineQueue } from './deadlines.js';
import { DegradedPath, type FailMode } from './degraded-path.js';
import { FirstConnection } from './first-connection.js';
import type { FleetSync } from './fleet.js';
import { MemoryStore } from './memory-store.js';
import { checkResilientOptions, type ResilientStoreOptions, type StoreFailure } from './resilient-options.js';
import type { AdmitRequest, AdmitResult, ConsumeResult, DecisionSource, LeaseResult, RateLimitStore } from './types.js';

export type { SourcedConsumeResult } from './blocked-cache.js';

export type { FailMode } from './degraded-path.js';

export type { ResilientStoreOptions, StoreFailure } from './resilient-options.js';

/** What {@link ResilientStore.guarded} returns when the primary gave no answer. */
const UNANSWERED: unique symbol = Symbol('unanswered');

type SourcedAdmitResult = AdmitResult & { readonly decision: SourcedConsumeResult };

/**
 * Wraps a primary store (Redis) with a per-call timeout, a {@link CircuitBreaker} and a
 * fallback store, so a dead or slow primary never stalls a request or turns into an error.
 */
export class ResilientStore implements RateLimitStore {
  readonly name: string;
  /** Already a wrapper: a manager uses it as it is. */
  readonly local = true;
  readonly primary: RateLimitStore;
  readonly fallback: RateLimitStore;
  readonly breaker: CircuitBreaker;
  readonly timeoutMs: number;
  readonly failMode: FailMode;
  readonly fallbackShare: number;
  /** The clock blocked-cache and fallback answers are made on. */
  readonly clock: Clock;
  private readonly timers: Timers;
  /** Every primary call's timeout, on one timer. */
  private readonly deadlines: DeadlineQueue;
  private readonly logger: Logger;
  private readonly onFailure: ((failure: StoreFailure) => void) | undefined;
  private readonly ownsFallback: boolean;
  private readonly blocked: BlockedCache | undefined;
  private readonly logs: LogThrottle;
  private readonly firstConnection: FirstConnection;
  private readonly degraded: DegradedPath;
  private readonly stopReconnectWatch: (() => void) | undefined;

  constructor(options: ResilientStoreOptions) {
    const { timeoutMs, failMode, fallbackShare } = checkResilientOptions(options);
    this.primary = options.primary;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.ownsFallback = options.fallback === undefined;
    this.fallback = options.fallback ?? new MemoryStore({ clock: this.clock, timers: this.timers });
    this.breaker = options.breaker instanceof CircuitBreaker ? options.breaker : new CircuitBreaker({ clock: this.clock, ...options.breaker });
    this.timeoutMs = timeoutMs;
    this.deadlines = new DeadlineQueue(timeoutMs, this.clock, this.timers);
    this.failMode = failMode;
    this.fallbackShare = fallbackShare;
    this.logger = options.logger ?? silentLogger;
    this.logs = new LogThrottle(this.logger, this.clock);
    this.onFailure = options.onFailure;
    this.name = this.primary.name;
    this.blocked = options.blockedCache === false ? undefined : new BlockedCache();
    this.firstConnection = new FirstConnection(this.primary, this.timers, timeoutMs);
    this.degraded = new DegradedPath(this.fallback, failMode, fallbackShare, this.clock, this.name);
    // A reconnect says the primary is back now: probe at once rather than after the reset timeout.
    this.stopReconnectWatch = this.primary.onReconnect?.(() => this.breaker.halfOpen('reconnected'));
  }

  /** The primary's fleet-wide state, if it has any. */
  get fleet(): FleetSync | undefined {
    return this.primary.fleet;
  }

  async consume(key: string, policy: BucketPolicy, cost: number): Promise<SourcedConsumeResult> {
    const now = this.clock.now();
    const cached = this.blocked?.answer(key, policy, cost, now);
    if (cached) return cached;
    const expired = this.blocked?.expired(key, now);
    if (expired === undefined) return this.consumeFresh(key, policy, cost, now);
    return (this.blocked as BlockedCache).probeOnce(
      key,
      expired,
      cost,
      () => this.clock.now(),
      () => this.consumeFresh(key, policy, cost),
      (answer) => answer,
      (denial) => denial,
    );
  }

  /** {@link consume} without the blocked cache: the primary (breaker and timeout permitting), else the degraded path. */
  private async consumeFresh(key: string, policy: BucketPolicy, cost: number, now?: number): Promise<SourcedConsumeResult> {
    const result = await this.guarded('consume', () => this.primary.consume(key, policy, cost), now);
    if (result === UNANSWERED) return this.degraded.consume(key, policy, cost);
    if (!result.allowed) this.blocked?.remember(key, policy, cost, result, this.clock.now());
    return fromPrimary(result);
  }

  /**
   * The answer when it needs no primary call — a cached denial, or the fallback while the
   * breaker refuses calls — else `undefined` (then call {@link consume}). Synchronous, so the
   * degraded path costs no promise. While the first connection is being made the async path
   * waits for it (bounded), so only an open breaker sends a decision to the fallback here.
   */
  consumeSync(key: string, policy: BucketPolicy, cost: number, now = this.clock.now()): SourcedConsumeResult | undefined {
    const cached = this.blocked?.answer(key, policy, cost, now);
    if (cached) return cached;
    if (this.failMode === 'closed' || !this.breaker.rejectsCalls(now)) return undefined;
    return this.degraded.consumeSync(key, policy, cost, now);
  }

  /**
   * A take of up to `max` tokens (a hot tenant's lease) from the primary, with the same blocked
   * cache, breaker and timeout as {@link consume}. When the primary cannot answer, nothing is
   * leased: the answer is the degraded path's decision for `min` alone (granted `min` or 0).
   */
  async takeUpTo(key: string, policy: BucketPolicy, min: number, max: number): Promise<TakeResult & { source: DecisionSource }> {
    const now = this.clock.now();
    const cached = this.blocked?.answer(key, policy, min, now);
    if (cached) return { ...cached, granted: 0 };
    const take = this.primary.takeUpTo;
    const result = take === undefined ? UNANSWERED : await this.guarded('consume', () => take.call(this.primary, key, policy, min, max));
    if (result === UNANSWERED) {
      const degraded = await this.degraded.consume(key, policy, min);
      return { ...degraded, granted: degraded.allowed ? min : 0 };
    }
    if (!result.allowed) this.blocked?.remember(key, policy, min, result, this.clock.now());
    return { ...result, source: 'primary' };
  }

  /**
   * Tokens back where a decision made now would be taken: the primary while it answers, else the
   * fallback (with the same share). A cached denial of the key is dropped: the refund may have
   * made room. A primary without `refund` cannot give tokens back; that is logged once per interval.
   */
  async refund(key: string, policy: BucketPolicy, cost: number): Promise<void> {
    if (this.refundSync(key, policy, cost)) return;
    const refund = this.primary.refund;
    if (refund === undefined) {
      this.logs.log('warn', 'store:refund', { store: this.name }, `the ${this.name} store cannot refund tokens; refunds are ignored`);
      return;
    }
    const result = await this.guarded('refund', () => refund.call(this.primary, key, policy, cost));
    if (result === UNANSWERED) await this.degraded.refund(key, policy, cost);
  }

  /** {@link refund} when the breaker sends it to an in-process fallback (no promise needed), else false. */
  refundSync(key: string, policy: BucketPolicy, cost: number): boolean {
    this.blocked?.delete(key);
    if (this.failMode === 'closed' || !this.breaker.rejectsCalls(this.clock.now())) return false;
    return this.degraded.refundSync(key, policy, cost);
  }

  /** Drops what this instance holds locally for `key` (blocked cache, fallback state). */
  async clearLocal(key: string): Promise<void> {
    this.blocked?.delete(key);
    await this.fallback.reset(key);
  }

  /**
   * A decision and a lease in one primary call when the primary can (Redis: one round trip),
   * with the same blocked cache, timeout, breaker and fallback as {@link consume} and
   * {@link acquire}; otherwise the two calls in sequence.
   */
  async consumeAndAcquire(request: AdmitRequest): Promise<SourcedAdmitResult> {
    const { key, policy, cost, leaseKey, limit, leaseMs, leaseAlways } = request;
    const combined = this.primary.consumeAndAcquire;
    const now = this.clock.now();
    const cached = this.blocked?.answer(key, policy, cost, now);
    const sequential = async (decision: SourcedConsumeResult): Promise<SourcedAdmitResult> => ({
      decision,
      lease: decision.allowed || leaseAlways ? await this.acquire(leaseKey, limit, leaseMs) : undefined,
    });
    if (cached || combined === undefined) return sequential(cached ?? (await this.consume(key, policy, cost)));
    const expired = this.blocked?.expired(key, now);
    if (expired === undefined) return this.admitFresh(combined, request, now);
    return (this.blocked as BlockedCache).probeOnce(
      key,
      expired,
      cost,
      () => this.clock.now(),
      () => this.admitFresh(combined, request),
      (answer) => answer.decision,
      sequential,
    );
  }

  /** {@link consumeAndAcquire} without the blocked cache. */
  private async admitFresh(combined: NonNullable<RateLimitStore['consumeAndAcquire']>, request: AdmitRequest, now?: number): Promise<SourcedAdmitResult> {
    const { key, policy, cost, leaseKey, limit, leaseMs, leaseAlways } = request;
    const result = await this.guarded('consume', () => combined.call(this.primary, request), now);
    if (result !== UNANSWERED) {
      if (!result.decision.allowed) this.blocked?.remember(key, policy, cost, result.decision, this.clock.now());
      return { decision: fromPrimary(result.decision), lease: result.lease };
    }
    const decision = await this.degraded.consume(key, policy, cost);
    const lease = decision.allowed || leaseAlways ? await this.degraded.acquire(leaseKey, limit, leaseMs) : undefined;
    return { decision, lease };
  }

  async acquire(key: string, limit: number, leaseMs: number): Promise<LeaseResult> {
    const result = await this.guarded('acquire', () => this.primary.acquire(key, limit, leaseMs));
    return result === UNANSWERED ? this.degraded.acquire(key, limit, leaseMs) : result;
  }

  /**
   * One primary call under the breaker and the timeout: its answer, or {@link UNANSWERED} when
   * the breaker refused the call, the first connection was not made within the timeout (a cold
   * start holds nothing against the primary), or the call failed or timed out (counted and
   * reported). Whatever the error, the caller then decides from the fallback: a store error is
   * never an allow. An argument error the primary refused is reported but not held against its
   * health.
   */
  private async guarded<T>(operation: StoreFailure['operation'], call: () => Promise<T>, now?: number): Promise<T | typeof UNANSWERED> {
    let started = now;
    if (this.firstConnection.pending) {
      if (!(await this.firstConnection.wait())) return this.notConnected();
      started = undefined;
    }
    const permit = this.breaker.tryAcquire();
    if (!permit) return UNANSWERED;
    // The caller's reading when it has one: a clock read costs more than the rest of this wrapper.
    started ??= this.clock.now();
    try {
      const result = await this.deadlines.race(call(), started);
      this.breaker.success(permit, this.clock.now() - started);
      return result;
    } catch (error) {
      if (isCallerError(error)) this.breaker.abandon(permit);
      else this.breaker.failure(permit);
      this.report(operation, error);
      return UNANSWERED;
    }
  }

  async release(key: string, leaseId: string): Promise<void> {
    if (await this.degraded.release(key, leaseId)) return;
    // Not gated by the breaker: a lease left behind only expires late, so try even while open.
    try {
      await this.deadlines.race(this.primary.release(key, leaseId));
    } catch (error) {
      this.report('release', error);
    }
  }

  async inspect(key: string, policy: BucketPolicy): Promise<BucketSnapshot> {
    return this.readThrough(
      'inspect',
      () => this.primary.inspect(key, policy),
      () => this.degraded.inspect(key, policy),
    );
  }

  async countLeases(key: string): Promise<number> {
    return this.readThrough(
      'countLeases',
      () => this.primary.countLeases(key),
      () => this.fallback.countLeases(key),
    );
  }

  /** Resets both stores; rejects with {@link StoreUnavailableError} when the primary could not be reset. */
  async reset(key: string): Promise<void> {
    await this.clearLocal(key);
    try {
      await this.deadlines.race(this.primary.reset(key));
    } catch (error) {
      this.report('reset', error);
      throw new StoreUnavailableError(`could not reset ${key} in the ${this.name} store`, { cause: error });
    }
  }

  async ping(): Promise<void> {
    await this.deadlines.race(this.primary.ping());
  }

  async close(): Promise<void> {
    this.stopReconnectWatch?.();
    await this.primary.close();
    if (this.ownsFallback) await this.fallback.close();
  }

  private async readThrough<T>(operation: StoreFailure['operation'], primary: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    if (this.breaker.state === 'closed') {
      try {
        return await this.deadlines.race(primary());
      } catch (error) {
        if (isCallerError(error)) throw error;
        this.report(operation, error);
      }
    }
    return fallback();
  }

  /** A call while the primary has never connected: decided from the fallback, and said so (once per interval). */
  private notConnected(): typeof UNANSWERED {
    const error = this.firstConnection.error;
    this.logs.log(
      'warn',
      'store:starting',
      { store: this.name, ...(error !== undefined && { err: error }) },
      `rate limit store has not connected${error === undefined ? ` within ${this.timeoutMs} ms` : ''}; ${
        this.failMode === 'fallback' ? `deciding from the fallback (1/${this.fallbackShare} of each quota)` : `fail mode ${this.failMode}`
      } until it does`,
    );
    return UNANSWERED;
  }

  private report(operation: StoreFailure['operation'], error: unknown): void {
    const timedOut = (error as { code?: string } | null)?.code === 'ERR_AURUM_STORE_TIMEOUT';
    // Counted per call (observers), logged once per interval: an outage fails every request.
    this.logs.log(
      'warn',
      `store:${operation}`,
      { err: error, operation, store: this.name, breaker: this.breaker.state },
      isCallerError(error)
        ? 'rate limit store refused a call as invalid; decided from the fallback'
        : `rate limit store call failed; ${this.failMode === 'fallback' ? 'deciding from the fallback' : `fail mode ${this.failMode}`}`,
    );
    try {
      this.onFailure?.({ operation, error, timedOut });
    } catch {
      // observers must not break limiting
    }
  }
}

/**
 * A copy of the primary's `result` marked with its source. Spelled out field by field: on Node 20,
 * `{ ...result, source }` cost about 3 µs per call (V8 builds a new hidden class each time) against
 * about 25 ns for a literal, most of what this wrapper cost per decision.
 */
function fromPrimary(r: ConsumeResult): SourcedConsumeResult {
  const { allowed, limit, remaining, retryAfterMs, resetAfterMs, reason } = r;
  return reason === undefined
    ? { allowed, limit, remaining, retryAfterMs, resetAfterMs, source: 'primary' }
    : { allowed, limit, remaining, retryAfterMs, resetAfterMs, reason, source: 'primary' };
}

/** Argument errors are the caller's bug, not the store's health: rethrow, never count them. */
function isCallerError(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'ERR_AURUM_INVALID_ARGUMENT';
}
