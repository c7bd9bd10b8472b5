import { type Clock, systemClock } from '../clock.js';
import { RateLimitConfigError, type ConfigIssue } from '../errors.js';

/** Breaker states; strings because they become metric labels and log fields. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Numeric encoding for gauges: closed 0, half_open 1, open 2. */
export const CIRCUIT_STATE_VALUE: Readonly<Record<CircuitState, number>> = { closed: 0, half_open: 1, open: 2 };

/** Emitted on every transition. */
export interface CircuitStateChange {
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** What caused it: `failures`, `reset_timeout`, `probe_succeeded`, `probe_failed`, `manual_reset`. */
  readonly reason: string;
  readonly at: number;
}

/** Tuning of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures (errors, timeouts, slow calls) that open the breaker. @default 5 */
  failureThreshold?: number;
  /** Milliseconds the breaker stays open before probing the primary. @default 60000 */
  resetTimeoutMs?: number;
  /** Probe calls let through at once while half-open; all must succeed to close. @default 1 */
  halfOpenProbes?: number;
  /** A successful call slower than this (ms) counts as a failure. @default Infinity (off) */
  slowCallMs?: number;
  clock?: Clock;
  onStateChange?: (change: CircuitStateChange) => void;
}

type State =
  | { readonly value: 'closed'; failures: number }
  | { readonly value: 'open'; readonly openedAt: number }
  | { readonly value: 'half_open'; inFlight: number; successes: number };

/** Permission to call the primary; hand it back through `success` or `failure`. */
export interface BreakerPermit {
  /** Transition generation at acquisition; reports from an older generation are ignored. */
  readonly generation: number;
  readonly probe: boolean;
}

/** Validates breaker options, appending to `issues`; `prefix` names the option path. */
export function checkBreakerOptions(options: CircuitBreakerOptions, prefix: string, issues: ConfigIssue[]): void {
  const whole = (key: 'failureThreshold' | 'halfOpenProbes') => {
    const v = options[key];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1)) {
      issues.push({ key: `${prefix}.${key}`, message: `must be a whole number >= 1, got ${String(v)}` });
    }
  };
  whole('failureThreshold');
  whole('halfOpenProbes');
  for (const key of ['resetTimeoutMs', 'slowCallMs'] as const) {
    const v = options[key];
    if (v !== undefined && !(typeof v === 'number' && v > 0)) {
      issues.push({ key: `${prefix}.${key}`, message: `must be a number > 0, got ${String(v)}` });
    }
  }
}

/**
 * CLOSED → OPEN after `failureThreshold` consecutive failures; OPEN → HALF_OPEN once
 * `resetTimeoutMs` has passed (checked lazily on the next call, so no timer exists);
 * HALF_OPEN lets `halfOpenProbes` calls through: all succeed → CLOSED, any fails → OPEN.
 */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly resetTimeoutMs: number;
  readonly halfOpenProbes: number;
  readonly slowCallMs: number;
  private readonly clock: Clock;
  private readonly listeners: Array<(change: CircuitStateChange) => void> = [];
  private current: State = { value: 'closed', failures: 0 };
  private generation = 0;
  /** Failures ever recorded, for health reports. */
  totalFailures = 0;
  lastFailureAt: number | undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    const issues: ConfigIssue[] = [];
    checkBreakerOptions(options, 'circuitBreaker', issues);
    if (issues.length > 0) throw new RateLimitConfigError(issues);
    this.failureThreshold = options.failureThreshold ?? 5;
    this.resetTimeoutMs = options.resetTimeoutMs ?? 60_000;
    this.halfOpenProbes = options.halfOpenProbes ?? 1;
    this.slowCallMs = options.slowCallMs ?? Number.POSITIVE_INFINITY;
    this.clock = options.clock ?? systemClock;
    if (options.onStateChange) this.listeners.push(options.onStateChange);
  }

  /** The state now, counting an elapsed reset timeout as half-open. */
  get state(): CircuitState {
    const s = this.current;
    if (s.value === 'open' && this.clock.now() - s.openedAt >= this.resetTimeoutMs) return 'half_open';
    return s.value;
  }

  /** Consecutive failures while closed (0 otherwise). */
  get consecutiveFailures(): number {
    return this.current.value === 'closed' ? this.current.failures : 0;
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
      this.failure(permit, 'slow_call');
      return;
    }
    if (permit.generation !== this.generation) return;
    const s = this.current;
    if (s.value === 'closed') {
      s.failures = 0;
    } else if (s.value === 'half_open' && permit.probe) {
      s.inFlight--;
      s.successes++;
      if (s.successes >= this.halfOpenProbes) this.transition({ value: 'closed', failures: 0 }, 'probe_succeeded');
    }
  }

  /** Reports a failed call (error, timeout or slow call). */
  failure(permit: BreakerPermit | null, _kind = 'error'): void {
    this.totalFailures++;
    this.lastFailureAt = this.clock.now();
    if (permit && permit.generation !== this.generation) return;
    const s = this.current;
    if (s.value === 'closed') {
      s.failures++;
      if (s.failures >= this.failureThreshold) this.open('failures');
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

  /** Forces CLOSED (admin `POST /circuit-breaker/reset`). */
  reset(): void {
    this.transition({ value: 'closed', failures: 0 }, 'manual_reset');
  }

  /** Forces OPEN, e.g. when the primary is known to be down at start-up. */
  open(reason = 'forced'): void {
    this.transition({ value: 'open', openedAt: this.clock.now() }, reason);
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
