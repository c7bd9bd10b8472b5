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
 * Samples a load signal at most once per interval, on demand (no timer), and smooths it with an
 * exponentially weighted moving average whose time constant is `smoothingMs`: a burst of a
 * second or two (a test, a GC pause) barely moves it, sustained overload does within seconds.
 */
export class LoadMonitor {
  private smoothed = 0;
  private sampledAt = Number.NaN;

  constructor(
    private readonly signal: () => number,
    private readonly intervalMs: number,
    private readonly clock: Clock,
    private readonly onSample?: (load: number) => void,
    private readonly smoothingMs = 10_000,
  ) {}

  /** The smoothed load in [0, 1]; a signal that throws or returns junk reads as 0. */
  get load(): number {
    return this.loadAt(this.clock.now());
  }

  /** {@link load} for a caller that already read the clock. */
  loadAt(now: number): number {
    const elapsed = now - this.sampledAt;
    if (Number.isNaN(elapsed)) {
      // First read: start the signal's window. Smoothed, history counts as idle; unsmoothed,
      // the sample is the answer.
      this.sampledAt = now;
      const first = this.read();
      if (this.smoothingMs === 0) {
        this.smoothed = first;
        this.onSample?.(first);
      }
    } else if (elapsed >= this.intervalMs) {
      this.sampledAt = now;
      const weight = this.smoothingMs > 0 ? 1 - Math.exp(-elapsed / this.smoothingMs) : 1;
      this.smoothed += weight * (this.read() - this.smoothed);
      this.onSample?.(this.smoothed);
    }
    return this.smoothed;
  }

  private read(): number {
    let value = 0;
    try {
      value = this.signal();
    } catch {
      value = 0;
    }
    return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
  }
}
