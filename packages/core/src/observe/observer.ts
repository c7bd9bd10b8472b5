import type { CircuitStateChange } from '../breaker/circuit-breaker.js';
import type { RateLimitMetadata } from '../manager/decision.js';
import type { StoreFailure } from '../store/resilient-store.js';
import type { LookupFailure } from '../tenant/tier-resolver.js';

/**
 * One rate-limit decision, as metrics see it: the decision's metadata itself (no copy is made
 * per request). Use `route` as the path label: it is bounded, `path` is the raw normalised path.
 */
export type DecisionEvent = RateLimitMetadata;

/** One concurrency-slot attempt. */
export interface ConcurrencyEvent {
  readonly tenantId: string;
  readonly tier: string;
  readonly allowed: boolean;
  readonly active: number;
  readonly limit: number;
}

/**
 * Hooks for metrics. Every member is optional; a throwing observer is caught and ignored.
 * `@aurum/ratelimit-prometheus` implements it with prom-client.
 */
export interface RateLimitObserver {
  onDecision?(event: DecisionEvent): void;
  onConcurrency?(event: ConcurrencyEvent): void;
  onCircuitStateChange?(change: CircuitStateChange): void;
  onStoreFailure?(failure: StoreFailure & { readonly store: string }): void;
  /**
   * A user lookup on the request path (`resolveTier`, `resolveTenant`) threw or did not answer
   * within `lookupTimeoutMs`; the request went on with the last known or default tier, or as
   * anonymous.
   */
  onLookupFailure?(failure: LookupFailure): void;
  /**
   * Called after every load sample (each `load.sampleIntervalMs`, off the request path) with this
   * process's smoothed load, and what decisions use now.
   */
  onLoad?(load: number, detail?: LoadEvent): void;
}

/** What a load sample means for decisions. */
export interface LoadEvent {
  /** The load factors are computed from: the fleet's mean with `load.fleet` (once known), else this process's. */
  readonly effective: number;
  /** The multiplier each tier's rate and concurrency get now (1 = none). */
  readonly factors: Readonly<Record<string, number>>;
}

/** Calls `fn` and swallows what it throws. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // metrics must never break limiting
  }
}
