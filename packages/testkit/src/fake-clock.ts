import type { Clock } from '@aurum/ratelimit-core/store';

/** A clock that only moves when told to. Starts at a fixed, realistic epoch time. */
export class FakeClock implements Clock {
  private current: number;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward by `ms` (fractions allowed). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`cannot move time backwards (${ms})`);
    this.current += ms;
  }

  set(ms: number): void {
    this.current = ms;
  }
}
