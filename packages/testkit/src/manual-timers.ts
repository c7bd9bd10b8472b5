import type { Timers } from '@aurum/ratelimit-core/store';
import type { FakeClock } from './fake-clock.js';

/** Timers that fire only when {@link run} is called, at the time of a {@link FakeClock}. */
export class ManualTimers implements Timers {
  private seq = 0;
  private readonly pending = new Map<number, { fn: () => void; at: number; every?: number }>();

  constructor(private readonly clock: FakeClock) {}

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { fn, at: this.clock.now() + ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  setInterval(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { fn, at: this.clock.now() + ms, every: ms });
    return id;
  }

  clearInterval(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Fires every timer due at the clock's current time (an interval once per call). */
  run(): void {
    for (const [id, t] of [...this.pending]) {
      if (t.at > this.clock.now()) continue;
      if (t.every === undefined) this.pending.delete(id);
      else t.at = Math.max(t.at + t.every, this.clock.now());
      t.fn();
    }
  }
}
