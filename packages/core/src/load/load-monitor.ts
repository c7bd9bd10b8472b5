import { type Clock, type Timers, unref } from '../clock.js';
import type { LoadSignal } from './signals.js';

/** Where a monitor shares its load with the fleet and reads the fleet's (see FleetSync). */
export interface FleetLoad {
  /** Called after each sample with this process's smoothed load; must not block. */
  publish(load: number): void;
  /** The fleet's load (mean of live instances), when known. */
  read(): number | undefined;
}

/**
 * Samples a load signal on an unref'd interval, off the request path, and smooths it with an
 * exponentially weighted moving average whose time constant is `smoothingMs`: a burst of a
 * second or two (a test, a GC pause) barely moves it, sustained overload does within seconds.
 * Requests only read a number.
 */
export class LoadMonitor {
  /** This process's smoothed load in [0, 1]. */
  local = 0;
  private sampledAt = Number.NaN;
  private timer: unknown;
  private stopTimer: (() => void) | undefined;

  constructor(
    private readonly signal: LoadSignal,
    private readonly intervalMs: number,
    private readonly clock: Clock,
    private readonly onSample?: (load: number) => void,
    private readonly smoothingMs = 5_000,
    private readonly fleet?: FleetLoad,
    seed = false,
  ) {
    // The first read opens the signal's window (event-loop utilisation measures from it). Its
    // value starts the average only for `seed` signals (that read a current state, like a
    // pool's saturation): a window read microseconds after it opened says nothing — event-loop
    // utilisation reads 1 there — and, unsmoothed, would shed every tenant until the next sample.
    this.sampledAt = clock.now();
    const first = this.read();
    if (seed) this.local = first;
  }

  /** The load decisions use: the fleet's when fleet load is on and known, else this process's. */
  get load(): number {
    const fleet = this.fleet?.read();
    return fleet === undefined ? this.local : fleet;
  }

  /** Starts sampling every `intervalMs` (unref'd: it never keeps the process alive). */
  start(timers: Timers): void {
    if (this.timer !== undefined) return;
    this.timer = timers.setInterval(() => this.sample(), this.intervalMs);
    unref(this.timer);
    this.stopTimer = () => timers.clearInterval(this.timer);
  }

  /** Stops the interval started by {@link start}. Idempotent. */
  stop(): void {
    this.stopTimer?.();
    this.timer = undefined;
  }

  /** Takes one sample now (the interval calls this). */
  sample(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.sampledAt);
    this.sampledAt = now;
    const value = this.read();
    const weight = this.smoothingMs > 0 ? 1 - Math.exp(-elapsed / this.smoothingMs) : 1;
    this.local += weight * (value - this.local);
    this.fleet?.publish(this.local);
    this.onSample?.(this.local);
  }

  /** The signal clamped to [0, 1]; one that throws or returns junk reads as 0. */
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
