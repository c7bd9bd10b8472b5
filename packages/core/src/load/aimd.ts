import type { AdaptiveConcurrencyOptions } from './load-options.js';

/**
 * An additive-increase, multiplicative-decrease limit on requests in flight, in the spirit of
 * Netflix's concurrency-limits `AIMDLimit`: no capacity to configure, it finds the concurrency
 * at which latency stays under a target. A completion within `targetLatencyMs` while the limit
 * is at least half used adds one; a slower completion multiplies the limit by `backoff` (at most
 * once per `targetLatencyMs`, so one slow burst is one cut, not one cut per request).
 */
export class AimdLimit {
  private value: number;
  private lastCut = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: Required<AdaptiveConcurrencyOptions>) {
    this.value = options.initialLimit;
  }

  /** The current limit (whole requests). */
  get limit(): number {
    return Math.floor(this.value);
  }

  /**
   * Whether one more request may start while `inFlight` are running. A tenant may fill
   * `min(1, priorityBoost)` of the limit (at least one request), so low priorities leave room.
   */
  admits(inFlight: number, priorityBoost: number): boolean {
    const share = Math.min(priorityBoost, 1);
    return inFlight < Math.max(1, Math.floor(this.value * share));
  }

  /**
   * Feeds one completed request.
   * @param latencyMs how long it took
   * @param inFlight requests in flight when it completed, itself included
   * @param now a monotonic time in ms (`performance.now()`)
   */
  onSample(latencyMs: number, inFlight: number, now: number): void {
    const { targetLatencyMs, backoff, minLimit, maxLimit } = this.options;
    if (latencyMs > targetLatencyMs) {
      if (now - this.lastCut < targetLatencyMs) return;
      this.lastCut = now;
      this.value = Math.max(minLimit, this.value * backoff);
    } else if (inFlight * 2 >= this.value) {
      this.value = Math.min(maxLimit, this.value + 1);
    }
  }
}
