import type { CircuitStateChange } from '../breaker/circuit-breaker.js';
import type { StoreFailure } from '../store/resilient-store.js';
import type { DecisionSource } from '../store/types.js';
import type { Tier } from '../tiers.js';

/** One rate-limit decision, as metrics see it. */
export interface DecisionEvent {
  readonly tenantId: string;
  readonly tier: Tier;
  /** Route pattern or rule pattern: bounded, never the raw URL. */
  readonly path: string;
  readonly bucket: string;
  /** False only when the request was blocked. */
  readonly allowed: boolean;
  /** The bucket said no (true for shadow-mode requests that were let through). */
  readonly exceeded: boolean;
  readonly shadow: boolean;
  readonly source: DecisionSource;
  readonly cost: number;
  readonly limit: number;
  readonly remaining: number;
  readonly retryAfterMs: number;
  /** Effective-rate multiplier applied for load, 1 when unloaded. */
  readonly loadFactor: number;
  /** Milliseconds until the bucket is full again (its window is active until then). */
  readonly resetAfterMs: number;
  /** Time the store took to decide, in ms. */
  readonly durationMs: number;
  readonly reason?: string;
}

/** One concurrency-slot attempt. */
export interface ConcurrencyEvent {
  readonly tenantId: string;
  readonly tier: Tier;
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
  /** Called when the sampled load signal changes. */
  onLoad?(load: number): void;
}

/** Calls `fn` and swallows what it throws. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // metrics must never break limiting
  }
}
