import type { Clock } from '../clock.js';
import type { ConfigIssue } from '../errors.js';
import type { CircuitStateChange } from './circuit-state.js';

/** Tuning of the circuit breaker. */
export interface CircuitBreakerOptions {
  /**
   * Percentage of the calls in the sliding window that must have failed (errors, timeouts,
   * calls slower than `slowCallMs`) to open the breaker, in (0, 100].
   * @default 50
   */
  failureRateThreshold?: number;
  /**
   * Calls the sliding window must hold before its failure rate is judged: with fewer, the
   * breaker does not open, whatever the rate. Whole number >= 1.
   * @default 5
   */
  minimumCalls?: number;
  /**
   * Length of the sliding window, in whole ms (at most 2^31 - 1). It should be many times a
   * reconnect (about 100 ms with createRedisStoreFromUrl), so the failures of one dropped
   * connection stay a small share of it, and short enough that a dead primary under steady
   * traffic opens the breaker in about one window at worst.
   * @default 1000
   */
  slidingWindowMs?: number;
  /**
   * @deprecated Alias of {@link minimumCalls}, kept for 0.1 configurations (it counted
   * consecutive failures; the breaker now opens on a failure rate). Give one or the other.
   */
  failureThreshold?: number;
  /** Milliseconds the breaker stays open before probing the primary (at most 2^31 - 1). @default 60000 */
  resetTimeoutMs?: number;
  /** Probe calls let through at once while half-open; all must succeed to close. @default 1 */
  halfOpenProbes?: number;
  /** A successful call slower than this (ms) counts as a failure. @default Infinity (off) */
  slowCallMs?: number;
  clock?: Clock;
  onStateChange?: (change: CircuitStateChange) => void;
}

/** Defaults of {@link CircuitBreakerOptions}. */
export const BREAKER_DEFAULTS = {
  failureRateThreshold: 50,
  minimumCalls: 5,
  slidingWindowMs: 1_000,
  resetTimeoutMs: 60_000,
  halfOpenProbes: 1,
} as const;

/** Longest delay a Node.js timer accepts; longer spans are a configuration mistake. */
export const MAX_BREAKER_MS = 2 ** 31 - 1;

/** Validates breaker options, appending to `issues`; `prefix` names the option path. */
export function checkBreakerOptions(options: CircuitBreakerOptions, prefix: string, issues: ConfigIssue[]): void {
  const add = (key: keyof CircuitBreakerOptions, message: string) =>
    issues.push({ key: `${prefix}.${key}`, message: `${message}, got ${String(options[key])}` });
  const whole = (key: 'failureThreshold' | 'minimumCalls' | 'halfOpenProbes' | 'slidingWindowMs', max = Number.MAX_SAFE_INTEGER) => {
    const v = options[key];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 1 && v <= max))
      add(key, max === Number.MAX_SAFE_INTEGER ? 'must be a whole number >= 1' : `must be a whole number in [1, ${max}]`);
  };
  whole('failureThreshold');
  whole('minimumCalls');
  whole('halfOpenProbes');
  whole('slidingWindowMs', MAX_BREAKER_MS);
  if (options.failureThreshold !== undefined && options.minimumCalls !== undefined)
    add('failureThreshold', 'is the deprecated name of minimumCalls: give only minimumCalls');
  const rate = options.failureRateThreshold;
  if (rate !== undefined && !(typeof rate === 'number' && rate > 0 && rate <= 100)) add('failureRateThreshold', 'must be a percentage in (0, 100]');
  const reset = options.resetTimeoutMs;
  if (reset !== undefined && !(typeof reset === 'number' && reset > 0 && reset <= MAX_BREAKER_MS))
    add('resetTimeoutMs', `must be a number in (0, ${MAX_BREAKER_MS}]`);
  const slow = options.slowCallMs;
  if (slow !== undefined && !(typeof slow === 'number' && slow > 0)) add('slowCallMs', 'must be a number > 0');
}

/**
 * `options` with the deprecated `failureThreshold` renamed to `minimumCalls`, so options merged
 * over others (code over environment) replace it under its new name. Left as is when both are
 * given: {@link checkBreakerOptions} reports that.
 */
export function withoutBreakerAlias(options: CircuitBreakerOptions): CircuitBreakerOptions {
  const { failureThreshold, ...rest } = options;
  if (failureThreshold === undefined || rest.minimumCalls !== undefined) return options;
  return { ...rest, minimumCalls: failureThreshold };
}
