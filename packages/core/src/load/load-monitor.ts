import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.js';

/**
 * Rate multiplier for a tenant under `load`: 1 up to `threshold`, then falling to `minFactor`
 * at full load, raised to the power 1/priorityBoost. The power keeps three promises: the factor
 * never changes below the threshold, never rises with load, and a higher boost is never cut
 * harder than a lower one.
 */
export function loadFactor(load: number, threshold: number, minFactor: number, priorityBoost: number): number {
  if (!(load > threshold)) return 1;
  const over = Math.min(1, (load - threshold) / (1 - threshold));
  const base = 1 - over * (1 - minFactor);
  return base ** (1 / priorityBoost);
}

/** Event-loop utilisation since the previous call: 0 idle, 1 saturated. */
export function eventLoopUtilization(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const delta = performance.eventLoopUtilization(last);
    last = performance.eventLoopUtilization();
    return delta.utilization;
  };
}

/**
 * Samples a load signal at most once per interval, on demand (no timer), so an idle process
 * costs nothing and a busy one samples about once per interval.
 */
export class LoadMonitor {
  private current = 0;
  private sampledAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly signal: () => number,
    private readonly intervalMs: number,
    private readonly clock: Clock,
    private readonly onSample?: (load: number) => void,
  ) {}

  /** The latest load in [0, 1]; a signal that throws or returns junk reads as 0. */
  get load(): number {
    const now = this.clock.now();
    if (now - this.sampledAt >= this.intervalMs) {
      this.sampledAt = now;
      let value = 0;
      try {
        value = this.signal();
      } catch {
        value = 0;
      }
      this.current = Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
      this.onSample?.(this.current);
    }
    return this.current;
  }
}
