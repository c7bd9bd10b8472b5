import type { CircuitBreaker, CircuitBreakerOptions } from '../breaker/circuit-breaker.js';
import type { Clock, Timers } from '../clock.js';
import { type ConfigIssue, RateLimitConfigError } from '../errors.js';
import type { Logger } from '../observe/logger.js';
import type { FailMode } from './degraded-path.js';
import type { RateLimitStore } from './types.js';

/** A primary-store failure, reported to observers. */
export interface StoreFailure {
  readonly operation: 'consume' | 'acquire' | 'inspect' | 'countLeases' | 'reset' | 'release' | 'refund';
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
   * `closed`: refuse with `StoreUnavailableError` (adapters answer 503).
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

/** Validates the numbers of {@link ResilientStoreOptions} and fills in their defaults. @throws RateLimitConfigError naming every bad one */
export function checkResilientOptions(options: ResilientStoreOptions): { timeoutMs: number; failMode: FailMode; fallbackShare: number } {
  const issues: ConfigIssue[] = [];
  const { timeoutMs = 100, failMode = 'fallback', fallbackShare = 1 } = options;
  if (!(typeof timeoutMs === 'number' && timeoutMs > 0)) issues.push({ key: 'timeoutMs', message: `must be a number > 0, got ${String(timeoutMs)}` });
  if (!['fallback', 'open', 'closed'].includes(failMode))
    issues.push({ key: 'failMode', message: `must be fallback, open or closed, got ${String(failMode)}` });
  if (!(Number.isSafeInteger(fallbackShare) && fallbackShare >= 1))
    issues.push({ key: 'fallbackShare', message: `must be a whole number >= 1, got ${String(fallbackShare)}` });
  if (!options.primary) issues.push({ key: 'primary', message: 'is required' });
  if (issues.length > 0) throw new RateLimitConfigError(issues);
  return { timeoutMs, failMode, fallbackShare };
}
