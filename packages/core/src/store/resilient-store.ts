import { assertValidRequest, type BucketPolicy, type BucketSnapshot, type ConsumeResult, clampPolicy, emissionIntervalUs } from '../algorithms/gcra.js';
import { CircuitBreaker, type CircuitBreakerOptions } from '../breaker/circuit-breaker.js';
import { type Clock, systemClock, systemTimers, type Timers } from '../clock.js';
import { type ConfigIssue, RateLimitConfigError, StoreUnavailableError } from '../errors.js';
import { LogThrottle } from '../observe/log-throttle.js';
import { type Logger, silentLogger } from '../observe/logger.js';
import { BoundedMap } from '../util/lru.js';
import type { FleetSync } from './fleet.js';
import { MemoryStore } from './memory-store.js';
import type { AdmitResult, DecisionSource, LeaseResult, RateLimitStore } from './types.js';
import { withTimeout } from './with-timeout.js';

/** What to do when the primary store cannot answer. */
export type FailMode = 'fallback' | 'open' | 'closed';

/** A primary-store failure, reported to observers. */
export interface StoreFailure {
  readonly operation: 'consume' | 'acquire' | 'inspect' | 'countLeases' | 'reset' | 'release';
  readonly error: unknown;
  readonly timedOut: boolean;
}

/** Options of {@link ResilientStore}. */
export interface ResilientStoreOptions {
  primary: RateLimitStore;
  /** Used while the primary fails or the breaker is open. @default new MemoryStore() */
  fallback?: RateLimitStore;
  /** A breaker instance, or options for a new one. */
  breaker?: CircuitBreaker | CircuitBreakerOptions;
  /** Longest wait for one primary call, in ms; a slower call counts as a failure. @default 100 */
  timeoutMs?: number;
  /**
   * `fallback` (default): limit from the in-memory fallback; `open`: admit every request;
   * `closed`: refuse with {@link StoreUnavailableError} (adapters answer 503).
   */
  failMode?: FailMode;
  /**
   * Expected number of instances sharing the primary. The fallback grants each instance
   * 1/share of every limit, so a fleet in fallback admits about what the shared store would.
   * @default 1
   */
  fallbackShare?: number;
  /**
   * Remember "denied until T" answers of the primary and deny the same key locally until T,
   * without a round trip: a tenant hammering past its limit costs the primary nothing.
   * @default true
   */
  blockedCache?: boolean;
  clock?: Clock;
  timers?: Timers;
  logger?: Logger;
  onFailure?: (failure: StoreFailure) => void;
}

/** A {@link ConsumeResult} that says which store produced it. */
export type SourcedConsumeResult = ConsumeResult & { readonly source: DecisionSource };

const FALLBACK_LEASE = 'fb:';
/** What {@link ResilientStore.guarded} returns when the primary gave no answer. */
const UNANSWERED: unique symbol = Symbol('unanswered');
/** Denials shorter than this are not worth caching. */
const MIN_BLOCK_MS = 5;

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
 * Wraps a primary store (Redis) with a per-call timeout, a {@link CircuitBreaker} and a
 * fallback store, so a dead or slow primary never stalls a request or turns into an error.
 */
export class ResilientStore implements RateLimitStore {
  readonly name: string;
  readonly primary: RateLimitStore;
  readonly fallback: RateLimitStore;
  readonly breaker: CircuitBreaker;
  readonly timeoutMs: number;
  readonly failMode: FailMode;
  readonly fallbackShare: number;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private readonly logger: Logger;
  private readonly onFailure: ((failure: StoreFailure) => void) | undefined;
  private readonly ownsFallback: boolean;
  private readonly blocked: BoundedMap<string, Blocked> | undefined;
  private readonly logs: LogThrottle;
  /** The primary's first connection, shared by every call made while it is being made. */
  private connecting: Promise<boolean> | undefined;
  private gaveUpWaiting = false;
  private readonly stopReconnectWatch: (() => void) | undefined;

  constructor(options: ResilientStoreOptions) {
    const issues: ConfigIssue[] = [];
    const { timeoutMs = 100, failMode = 'fallback', fallbackShare = 1 } = options;
    if (!(typeof timeoutMs === 'number' && timeoutMs > 0)) issues.push({ key: 'timeoutMs', message: `must be a number > 0, got ${String(timeoutMs)}` });
    if (!['fallback', 'open', 'closed'].includes(failMode))
      issues.push({ key: 'failMode', message: `must be fallback, open or closed, got ${String(failMode)}` });
    if (!(Number.isSafeInteger(fallbackShare) && fallbackShare >= 1))
      issues.push({ key: 'fallbackShare', message: `must be a whole number >= 1, got ${String(fallbackShare)}` });
    if (!options.primary) issues.push({ key: 'primary', message: 'is required' });
    if (issues.length > 0) throw new RateLimitConfigError(issues);
    this.primary = options.primary;
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.ownsFallback = options.fallback === undefined;
    this.fallback = options.fallback ?? new MemoryStore({ clock: this.clock, timers: this.timers });
    this.breaker = options.breaker instanceof CircuitBreaker ? options.breaker : new CircuitBreaker({ clock: this.clock, ...options.breaker });
    this.timeoutMs = timeoutMs;
    this.failMode = failMode;
    this.fallbackShare = fallbackShare;
    this.logger = options.logger ?? silentLogger;
    this.logs = new LogThrottle(this.logger, this.clock);
    this.onFailure = options.onFailure;
    this.name = this.primary.name;
    this.blocked = options.blockedCache === false ? undefined : new BoundedMap(10_000);
    // A reconnect says the primary is back now: probe at once rather than after the reset timeout.
    this.stopReconnectWatch = this.primary.onReconnect?.(() => this.breaker.halfOpen('reconnected'));
  }

  /** The primary's fleet-wide state, if it has any. */
  get fleet(): FleetSync | undefined {
    return this.primary.fleet;
  }

  async consume(key: string, policy: BucketPolicy, cost: number): Promise<SourcedConsumeResult> {
    const cached = this.blockedAnswer(key, policy, cost);
    if (cached) return cached;
    const expired = this.expiredBlock(key);
    if (expired === undefined) return this.consumeFresh(key, policy, cost);
    return this.probeOnce(
      key,
      expired,
      cost,
      () => this.consumeFresh(key, policy, cost),
      (answer) => answer,
      (denial) => denial,
    );
  }

  /** {@link consume} without the blocked cache: the primary (breaker and timeout permitting), else the degraded path. */
  private async consumeFresh(key: string, policy: BucketPolicy, cost: number): Promise<SourcedConsumeResult> {
    const result = await this.guarded('consume', () => this.primary.consume(key, policy, cost));
    if (result === UNANSWERED) return this.degraded(key, policy, cost);
    if (!result.allowed) this.rememberBlock(key, policy, cost, result);
    return { ...result, source: 'primary' };
  }

  /**
   * The answer when it needs no primary call — a cached denial, or the fallback while the
   * breaker refuses calls or the first connection is still being made — else `undefined` (then
   * call {@link consume}). Synchronous, so the degraded path costs no promise.
   */
  consumeLocal(key: string, policy: BucketPolicy, cost: number, now = this.clock.now()): SourcedConsumeResult | undefined {
    const cached = this.blockedAnswer(key, policy, cost, now);
    if (cached) return cached;
    // While the first connection is being made the async path waits for it (bounded), so only an
    // open breaker sends a decision to the fallback here.
    if (this.failMode === 'closed' || !this.breaker.rejectsCalls(now)) return undefined;
    // Only a memory fallback (or fail-open) answers synchronously.
    if (this.failMode === 'fallback' && !(this.fallback instanceof MemoryStore)) return undefined;
    return this.degraded(key, policy, cost, now) as SourcedConsumeResult;
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
  async consumeAndAcquire(
    key: string,
    policy: BucketPolicy,
    cost: number,
    leaseKey: string,
    limit: number,
    leaseMs: number,
    leaseAlways: boolean,
  ): Promise<AdmitResult & { readonly decision: SourcedConsumeResult }> {
    const combined = this.primary.consumeAndAcquire;
    const cached = this.blockedAnswer(key, policy, cost);
    const sequential = async (decision: SourcedConsumeResult) => ({
      decision,
      lease: decision.allowed || leaseAlways ? await this.acquire(leaseKey, limit, leaseMs) : undefined,
    });
    if (cached || combined === undefined) return sequential(cached ?? (await this.consume(key, policy, cost)));
    const expired = this.expiredBlock(key);
    if (expired === undefined) return this.admitFresh(combined, key, policy, cost, leaseKey, limit, leaseMs, leaseAlways);
    return this.probeOnce(
      key,
      expired,
      cost,
      () => this.admitFresh(combined, key, policy, cost, leaseKey, limit, leaseMs, leaseAlways),
      (answer) => answer.decision,
      sequential,
    );
  }

  /** {@link consumeAndAcquire} without the blocked cache. */
  private async admitFresh(
    combined: NonNullable<RateLimitStore['consumeAndAcquire']>,
    key: string,
    policy: BucketPolicy,
    cost: number,
    leaseKey: string,
    limit: number,
    leaseMs: number,
    leaseAlways: boolean,
  ): Promise<AdmitResult & { readonly decision: SourcedConsumeResult }> {
    const result = await this.guarded('consume', () => combined.call(this.primary, key, policy, cost, leaseKey, limit, leaseMs, leaseAlways));
    if (result !== UNANSWERED) {
      if (!result.decision.allowed) this.rememberBlock(key, policy, cost, result.decision);
      return { decision: { ...result.decision, source: 'primary' }, lease: result.lease };
    }
    const decision = await this.degraded(key, policy, cost);
    const lease = decision.allowed || leaseAlways ? await this.degradedAcquire(leaseKey, limit, leaseMs) : undefined;
    return { decision, lease };
  }

  async acquire(key: string, limit: number, leaseMs: number): Promise<LeaseResult> {
    const result = await this.guarded('acquire', () => this.primary.acquire(key, limit, leaseMs));
    return result === UNANSWERED ? this.degradedAcquire(key, limit, leaseMs) : result;
  }

  /**
   * One primary call under the breaker and the timeout: its answer, or {@link UNANSWERED} when
   * the breaker refused the call, the first connection was not made within the timeout (a cold
   * start holds nothing against the primary), or the call failed or timed out (counted and
   * reported). Whatever the error, the caller then decides from the fallback: a store error is
   * never an allow. An argument error the primary refused is reported but not held against its
   * health.
   */
  private async guarded<T>(operation: StoreFailure['operation'], call: () => Promise<T>): Promise<T | typeof UNANSWERED> {
    if (this.primary.isStarting?.() && !(await this.firstConnection())) return UNANSWERED;
    const permit = this.breaker.tryAcquire();
    if (!permit) return UNANSWERED;
    const started = this.clock.now();
    try {
      const result = await withTimeout(call(), this.timeoutMs, this.timers);
      this.breaker.success(permit, this.clock.now() - started);
      return result;
    } catch (error) {
      if (isCallerError(error)) this.breaker.abandon(permit);
      else this.breaker.failure(permit);
      this.report(operation, error);
      return UNANSWERED;
    }
  }

  /**
   * Waits, at most the store timeout, for a primary that is still making its first connection;
   * true once it is connected. Without this a fresh process (a script, a cold pod) would decide
   * its first requests from the fallback although the shared store is only milliseconds away.
   * Once a wait has timed out, later calls of the same start-up do not wait again: a primary
   * that takes long to connect must not add the timeout to every request until it does.
   */
  private async firstConnection(): Promise<boolean> {
    const whenConnected = this.primary.whenConnected;
    if (whenConnected === undefined || this.gaveUpWaiting) return false;
    this.connecting ??= whenConnected.call(this.primary).then(
      () => true,
      () => false,
    );
    let timer: unknown;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = this.timers.setTimeout(() => resolve(false), this.timeoutMs);
    });
    try {
      const connected = await Promise.race([this.connecting, timedOut]);
      if (!connected) this.gaveUpWaiting = true;
      return connected && this.primary.isStarting?.() !== true;
    } finally {
      this.timers.clearTimeout(timer);
    }
  }

  /** A lease while the primary cannot give one: per the fail mode, from the fallback by default. */
  private async degradedAcquire(key: string, limit: number, leaseMs: number): Promise<LeaseResult> {
    if (this.failMode === 'open') return { allowed: true, active: 0, limit };
    if (this.failMode === 'closed') throw new StoreUnavailableError(`${this.name} store unavailable`);
    const result = await this.fallback.acquire(key, this.share(limit), leaseMs);
    return result.leaseId === undefined ? result : { ...result, leaseId: FALLBACK_LEASE + result.leaseId };
  }

  async release(key: string, leaseId: string): Promise<void> {
    if (leaseId.startsWith(FALLBACK_LEASE)) {
      await this.fallback.release(key, leaseId.slice(FALLBACK_LEASE.length));
      return;
    }
    // Not gated by the breaker: a lease left behind only expires late, so try even while open.
    try {
      await withTimeout(this.primary.release(key, leaseId), this.timeoutMs, this.timers);
    } catch (error) {
      this.report('release', error);
    }
  }

  async inspect(key: string, policy: BucketPolicy): Promise<BucketSnapshot> {
    return this.readThrough(
      'inspect',
      () => this.primary.inspect(key, policy),
      () => this.fallback.inspect(key, this.sharePolicy(policy)),
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
      await withTimeout(this.primary.reset(key), this.timeoutMs, this.timers);
    } catch (error) {
      this.report('reset', error);
      throw new StoreUnavailableError(`could not reset ${key} in the ${this.name} store`, { cause: error });
    }
  }

  async ping(): Promise<void> {
    await withTimeout(this.primary.ping(), this.timeoutMs, this.timers);
  }

  async close(): Promise<void> {
    this.stopReconnectWatch?.();
    await this.primary.close();
    if (this.ownsFallback) await this.fallback.close();
  }

  /** The answer while the primary is out; synchronous with an in-process fallback (the usual case). */
  private degraded(key: string, policy: BucketPolicy, cost: number, now?: number): SourcedConsumeResult | Promise<SourcedConsumeResult> {
    if (this.failMode === 'open') {
      return { allowed: true, limit: policy.burst, remaining: policy.burst, retryAfterMs: 0, resetAfterMs: 0, source: 'fail-open' };
    }
    if (this.failMode === 'closed') throw new StoreUnavailableError(`${this.name} store unavailable`);
    const shared = this.sharePolicy(policy);
    if (this.fallback instanceof MemoryStore) return withSource(this.fallback.consumeSync(key, shared, cost, now), 'fallback');
    return this.fallback.consume(key, shared, cost).then((result): SourcedConsumeResult => ({ ...result, source: 'fallback' }));
  }

  private blockedAnswer(key: string, policy: BucketPolicy, cost: number, nowMs?: number): SourcedConsumeResult | undefined {
    if (!this.blocked || this.blocked.size === 0) return undefined;
    const now = nowMs ?? this.clock.now();
    const entry = this.blocked.get(key, now);
    if (!entry) return undefined;
    // An expired entry stays until a probe has asked the primary (see probeOnce).
    if (now >= entry.until) return undefined;
    // The primary is not asked, so its argument checks must happen here: a bad cost or rate is
    // the caller's bug and must throw, not come back as a denial with NaN in it.
    assertValidRequest(policy, cost);
    const resetAfterMs = Math.max(0, Math.ceil(entry.resetUntil - now));
    const tooBig = cost > policy.burst;
    const extra = Math.ceil(((cost - 1) * emissionIntervalUs(policy.rate)) / 1000);
    return {
      allowed: false,
      limit: policy.burst,
      remaining: 0,
      // Like the primary: a cost that can never fit is told to wait for a full bucket.
      retryAfterMs: tooBig ? resetAfterMs : Math.ceil(entry.until - now) + extra,
      resetAfterMs,
      ...(tooBig && { reason: 'cost_exceeds_burst' as const }),
      source: 'blocked-cache',
    };
  }

  /** The key's cached block once it has expired (a fresh one answers from blockedAnswer). */
  private expiredBlock(key: string): Blocked | undefined {
    if (!this.blocked || this.blocked.size === 0) return undefined;
    return this.blocked.get(key, this.clock.now());
  }

  /**
   * Right after a cached block expires, one request asks the primary (`ask`) and requests on the
   * same key meanwhile wait for that answer instead of each making a round trip of their own.
   * When it was a denial, a waiting request of at least the same cost shares it (it arrived at
   * the same moment: the bucket had no room for it either); otherwise it asks the primary too.
   * So a tenant hammering past its limit costs about one round trip per refill, not one per
   * request in flight. The wait is bounded by the store timeout.
   */
  private async probeOnce<T>(
    key: string,
    entry: Blocked,
    cost: number,
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
      if (this.blocked?.get(key, this.clock.now()) === entry) this.blocked.delete(key);
    }
  }

  /**
   * Caches a denial when the bucket is empty. The cached wait is a lower bound of the time until
   * one token is back (rounding always errs early), so the cache never denies what the primary
   * would admit.
   */
  private rememberBlock(key: string, policy: BucketPolicy, cost: number, result: ConsumeResult): void {
    if (!this.blocked || result.remaining !== 0 || result.reason) return;
    const oneTokenMs = result.retryAfterMs - 1 - Math.ceil(((cost - 1) * emissionIntervalUs(policy.rate)) / 1000);
    if (oneTokenMs < MIN_BLOCK_MS) return;
    const now = this.clock.now();
    this.blocked.set(key, { until: now + oneTokenMs, resetUntil: now + result.resetAfterMs }, now);
  }

  private async readThrough<T>(operation: StoreFailure['operation'], primary: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    if (this.breaker.state === 'closed') {
      try {
        return await withTimeout(primary(), this.timeoutMs, this.timers);
      } catch (error) {
        if (isCallerError(error)) throw error;
        this.report(operation, error);
      }
    }
    return fallback();
  }

  private sharePolicy(policy: BucketPolicy): BucketPolicy {
    if (this.fallbackShare === 1) return policy;
    // Clamped: a slow rate divided by a large share would fall below one request per day.
    return clampPolicy(policy.rate / this.fallbackShare, this.share(policy.burst));
  }

  private share(amount: number): number {
    return Math.max(1, Math.floor(amount / this.fallbackShare));
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

/** Tags a result the memory store just created with its source, in place (no copy on the hot path). */
function withSource(result: ConsumeResult, source: DecisionSource): SourcedConsumeResult {
  (result as { source?: DecisionSource }).source = source;
  return result as SourcedConsumeResult;
}

/** Argument errors are the caller's bug, not the store's health: rethrow, never count them. */
function isCallerError(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === 'ERR_AURUM_INVALID_ARGUMENT';
}
