import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** A load signal: a function returning the current load in [0, 1]. Read once per sample interval. */
export type LoadSignal = () => number;

/** Event-loop utilisation since the previous read: 0 idle, 1 saturated. */
export function eventLoopUtilization(): LoadSignal {
  let last = performance.eventLoopUtilization();
  return () => {
    const delta = performance.eventLoopUtilization(last);
    last = performance.eventLoopUtilization();
    return delta.utilization;
  };
}

/**
 * Mean event-loop delay since the previous read, against `ceilingMs` (that delay reads as full
 * load). Uses libuv's sampling histogram; the returned signal's `stop()` disables it.
 */
export function eventLoopDelay(ceilingMs: number): LoadSignal & { stop(): void } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const read = () => {
    const meanMs = histogram.count > 0 ? histogram.mean / 1e6 : 0;
    histogram.reset();
    // The histogram's delay includes its own 10 ms resolution tick.
    return Math.max(0, meanMs - 10) / ceilingMs;
  };
  return Object.assign(read, { stop: () => histogram.disable() });
}

/** Requests in flight against a capacity (the manager counts them). */
export function inFlight(count: () => number, capacity: number): LoadSignal {
  return () => count() / capacity;
}

/**
 * The highest of several signals: any saturated resource is overload. A signal that throws or
 * returns junk reads as 0 on its own, so one broken user signal cannot silence the others.
 */
export function maxOf(signals: readonly LoadSignal[]): LoadSignal {
  if (signals.length === 1) return signals[0] as LoadSignal;
  return () => {
    let max = 0;
    for (const signal of signals) {
      let v = 0;
      try {
        v = signal();
      } catch {
        v = 0;
      }
      if (v > max) max = v;
    }
    return max;
  };
}
