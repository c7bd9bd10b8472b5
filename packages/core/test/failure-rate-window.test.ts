import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FailureRateWindow, WINDOW_BUCKETS } from '../src/breaker/failure-rate-window.js';

/** The obvious O(n) model: every call kept with its bucket number; the window is the last 10 buckets. */
class ListModel {
  private readonly calls: Array<{ bucket: number; failed: boolean }> = [];
  private newest = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly windowMs: number,
    private readonly minimumCalls: number,
    private readonly threshold: number,
  ) {}

  private bucketOf(now: number): number {
    return Math.floor(now / (this.windowMs / WINDOW_BUCKETS));
  }

  record(now: number, failed: boolean): boolean {
    this.newest = Math.max(this.newest, this.bucketOf(now));
    this.calls.push({ bucket: this.newest, failed });
    const { calls, failures } = this.counts(now);
    return failed && calls >= this.minimumCalls && failures * 100 >= this.threshold * calls;
  }

  counts(now: number): { calls: number; failures: number } {
    const current = Math.max(this.newest, this.bucketOf(now));
    const live = this.calls.filter((c) => c.bucket > current - WINDOW_BUCKETS);
    return { calls: live.length, failures: live.filter((c) => c.failed).length };
  }
}

describe('FailureRateWindow', () => {
  it('agrees with a list of every call, whatever the timing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0.5, max: 100, noNaN: true }),
        fc.integer({ min: 0, max: 2 ** 42 }),
        fc.array(
          fc.record({
            advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 }), fc.integer({ min: -200, max: 12_000 })),
            failed: fc.boolean(),
          }),
          { maxLength: 200 },
        ),
        (windowMs, minimumCalls, threshold, start, steps) => {
          const window = new FailureRateWindow({ windowMs, minimumCalls, failureRateThreshold: threshold });
          const model = new ListModel(windowMs, minimumCalls, threshold);
          let now = start;
          for (const step of steps) {
            now += step.advanceMs;
            expect(window.counts(now)).toEqual(model.counts(now));
            expect(window.record(now, step.failed)).toBe(model.record(now, step.failed));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('trips only on a failure', () => {
    const window = new FailureRateWindow({ windowMs: 1000, minimumCalls: 2, failureRateThreshold: 50 });
    expect(window.record(0, true)).toBe(false);
    // 1 failure of 2 calls is 50 %, but a success never trips it.
    expect(window.record(0, false)).toBe(false);
    expect(window.record(0, true)).toBe(true);
  });
});
