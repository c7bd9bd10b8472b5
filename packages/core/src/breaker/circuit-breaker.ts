import { type Clock, systemClock } from '../clock.js';
import { type ConfigIssue, RateLimitConfigError } from '../errors.js';
import { BREAKER_DEFAULTS, type CircuitBreakerOptions, checkBreakerOptions } from './breaker-options.js';
import type { CircuitState, CircuitStateChange } from './circuit-state.js';
import { FailureRateWindow, type WindowCounts } from './failure-rate-window.js';

export { CIRCUIT_STATE_VALUE, type CircuitState, type CircuitStateChange } from './circuit-state.js';
export { type CircuitBreakerOptions, checkBreakerOptions, MAX_BREAKER_MS, withoutBreakerAlias } from './breaker-options.js';

type State =
  /** A fresh window on every entry, so failures from before an outage never count after it. */
  | { readonly value: 'closed'; readonly window: FailureRateWindow; consecutiveFailures: number }
  | { readonly value: 'open'; readonly openedAt: number }
  | { readonly value: 'half_open'; inFlight: number; successes: number };

/** Permission to call the primary; hand it back through `success`, `failure` or `abandon`. */
export interface BreakerPermit {
  /** Transition generation at acquisition; reports from an older generation are ignored. */
  readonly generation: number;
  readonly probe: boolean;
}

/**
 * CLOSED → OPEN when, over the last `slidingWindowMs`, at least `minimumCalls` calls were made
 * and at least `failureRateThreshold` % of them failed (see {@link FailureRateWindow});
 * OPEN → HALF_OPEN once `resetTimeoutMs` has passed (checked lazily on the next call, so no
 * timer exists) or at once when {@link CircuitBreaker.halfOpen} is told the primary is back;
 * HALF_OPEN lets `halfOpenProbes` calls through: all succeed → CLOSED, any fails → OPEN.
 */
export class CircuitBreaker {
  readonly failureRateThreshold: number;
  readonly minimumCalls: number;
  readonly slidingWindowMs: number;
  readonly resetTimeoutMs: number;
  readonly halfOpenProbes: number;
  readonly slowCallMs: number;
  private readonly clock: Clock;
  private readonly listeners: Array<(change: CircuitStateChange) => void> = [];
  private current: State;
  private generation = 0;
  /** Failures ever recorded, for health reports. */
  totalFailures = 0;
  lastFailureAt: number | undefined;

  /** @throws {@link RateLimitConfigError} listing every bad option. */
  constructor(options: CircuitBreakerOptions = {}) {
    const issues: ConfigIssue[] = [];
    checkBreakerOptions(options, 'circuitBreaker', issues);
    if (issues.length > 0) throw new RateLimitConfigError(issues);
    this.failureRateThreshold = options.failureRateThreshold ?? BREAKER_DEFAULTS.failureRateThreshold;
    this.minimumCalls = options.minimumCalls ?? options.failureThreshold ?? BREAKER_DEFAULTS.minimumCalls;
    this.slidingWindowMs = options.slidingWindowMs ?? BREAKER_DEFAULTS.slidingWindowMs;
    this.resetTimeoutMs = options.resetTimeoutMs ?? BREAKER_DEFAULTS.resetTimeoutMs;
    this.halfOpenProbes = options.halfOpenProbes ?? BREAKER_DEFAULTS.halfOpenProbes;
    this.slowCallMs = options.slowCallMs ?? Number.POSITIVE_INFINITY;
    this.clock = options.clock ?? systemClock;
    if (options.onStateChange) this.listeners.push(options.onStateChange);
    this.current = this.closedState();
  }

  /** @deprecated 0.1's name of {@link minimumCalls}. */
  get failureThreshold(): number {
    return this.minimumCalls;
  }

  /** The state now, counting an elapsed reset timeout as half-open. */
  get state(): CircuitState {
    const s = this.current;
    if (s.value === 'open' && this.clock.now() - s.openedAt >= this.resetTimeoutMs) return 'half_open';
    return s.value;
  }

  /**
   * Consecutive failures while closed (0 otherwise). Reported in health; it no longer opens the
   * breaker by itself (the failure rate does).
   */
  get consecutiveFailures(): number {
    return this.current.value === 'closed' ? this.current.consecutiveFailures : 0;
  }

  /** Calls and failures in the sliding window now; none while the breaker is not closed. */
  windowCounts(now = this.clock.now()): WindowCounts {
    return this.current.value === 'closed' ? this.current.window.counts(now) : { calls: 0, failures: 0 };
  }

  /** Subscribes to transitions; returns an unsubscribe function. */
  onStateChange(listener: (change: CircuitStateChange) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Whether {@link tryAcquire} would answer `null` now (`now` from this breaker's clock); changes nothing. */
  rejectsCalls(now?: number): boolean {
    const s = this.current;
    if (s.value === 'open') return (now ?? this.clock.now()) - s.openedAt < this.resetTimeoutMs;
    return s.value === 'half_open' && s.inFlight + s.successes >= this.halfOpenProbes;
  }

  /** A permit to call the primary, or `null` when the caller must use the fallback. */
  tryAcquire(): BreakerPermit | null {
    const s = this.current;
    switch (s.value) {
      case 'closed':
        return { generation: this.generation, probe: false };
      case 'open':
        if (this.clock.now() - s.openedAt < this.resetTimeoutMs) return null;
        this.transition({ value: 'half_open', inFlight: 0, successes: 0 }, 'reset_timeout');
        return this.tryAcquire();
      case 'half_open':
        if (s.inFlight + s.successes >= this.halfOpenProbes) return null;
        s.inFlight++;
        return { generation: this.generation, probe: true };
    }
  }

  /** Reports a completed call; a call slower than `slowCallMs` counts as a failure. */
  success(permit: BreakerPermit, durationMs: number): void {
    if (durationMs > this.slowCallMs) {
      this.failure(permit);
      return;
    }
    if (permit.generation !== this.generation) return;
    const s = this.current;
    if (s.value === 'closed') {
      s.consecutiveFailures = 0;
      s.window.record(this.clock.now(), false);
    } else if (s.value === 'half_open' && permit.probe) {
      s.inFlight--;
      s.successes++;
      if (s.successes >= this.halfOpenProbes) this.transition(this.closedState(), 'probe_succeeded');
    }
  }

  /** Reports a failed call (error, timeout or slow call). */
  failure(permit: BreakerPermit): void {
    const now = this.clock.now();
    this.totalFailures++;
    this.lastFailureAt = now;
    if (permit.generation !== this.generation) return;
    const s = this.current;
    if (s.value === 'closed') {
      s.consecutiveFailures++;
      if (s.window.record(now, true)) this.open('failures');
    } else if (s.value === 'half_open') {
      this.open('probe_failed');
    }
  }

  /**
   * Hands back a permit whose call said nothing about the primary's health (the caller passed a
   * bad argument): counts neither success nor failure, but frees the probe slot. Without this a
   * half-open breaker whose probe hit a caller error would refuse every later probe, for good.
   */
  abandon(permit: BreakerPermit): void {
    if (!permit.probe || permit.generation !== this.generation) return;
    const s = this.current;
    if (s.value === 'half_open' && s.inFlight > 0) s.inFlight--;
  }

  /**
   * OPEN → HALF_OPEN now, without waiting out `resetTimeoutMs`: the next call is a probe. For
   * news that the primary is back, e.g. its client reconnected (a store's `onReconnect`);
   * a probe still decides, so a false alarm costs one failed call. A no-op in other states.
   */
  halfOpen(reason = 'reconnected'): void {
    if (this.current.value !== 'open') return;
    this.transition({ value: 'half_open', inFlight: 0, successes: 0 }, reason);
  }

  /** Forces CLOSED (admin `POST /circuit-breaker/reset`). */
  reset(): void {
    this.transition(this.closedState(), 'manual_reset');
  }

  /** Forces OPEN, e.g. when the primary is known to be down at start-up. */
  open(reason = 'forced'): void {
    this.transition({ value: 'open', openedAt: this.clock.now() }, reason);
  }

  private closedState(): State {
    const { slidingWindowMs: windowMs, minimumCalls, failureRateThreshold } = this;
    return { value: 'closed', window: new FailureRateWindow({ windowMs, minimumCalls, failureRateThreshold }), consecutiveFailures: 0 };
  }

  private transition(next: State, reason: string): void {
    const from = this.current.value;
    this.current = next;
    this.generation++;
    if (from === next.value) return;
    const change: CircuitStateChange = { from, to: next.value, reason, at: this.clock.now() };
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A broken listener must not break limiting.
      }
    }
  }
}
