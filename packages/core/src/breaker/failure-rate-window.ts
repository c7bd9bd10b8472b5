/**
 * Buckets per window. The window slides in steps of a tenth of its length: it always covers
 * between 90 % and 100 % of `windowMs`, and a call costs O(1) whatever the traffic.
 */
export const WINDOW_BUCKETS = 10;

/** Tuning of {@link FailureRateWindow}; validated by the breaker. */
export interface FailureRateWindowOptions {
  /** Length of the window, ms. */
  readonly windowMs: number;
  /** Calls the window must hold before its failure rate can trip. */
  readonly minimumCalls: number;
  /** Failure percentage, in (0, 100], at or above which the window trips. */
  readonly failureRateThreshold: number;
}

/** Calls and failures in the window at one moment. */
export interface WindowCounts {
  readonly calls: number;
  readonly failures: number;
}

/**
 * The breaker's failure policy: calls and failures over a sliding time window, kept in
 * {@link WINDOW_BUCKETS} buckets of a ring (resilience4j's time-based sliding window). It trips
 * on a failure when the window holds at least `minimumCalls` calls and at least
 * `failureRateThreshold` % of them failed. A burst of failures that one dropped connection
 * produces at once is then weighed against the successes around it, instead of opening the
 * breaker by itself as "N failures in a row" did. No timers: time comes with each call.
 */
export class FailureRateWindow {
  private readonly bucketMs: number;
  private readonly calls: number[] = new Array<number>(WINDOW_BUCKETS).fill(0);
  private readonly failures: number[] = new Array<number>(WINDOW_BUCKETS).fill(0);
  /** Bucket number (`floor(time / bucketMs)`) of the newest bucket written. */
  private newest = Number.NEGATIVE_INFINITY;
  private totalCalls = 0;
  private totalFailures = 0;

  constructor(private readonly options: FailureRateWindowOptions) {
    this.bucketMs = options.windowMs / WINDOW_BUCKETS;
  }

  /** Records one call at `now` (ms); true when it was a failure that trips the window. */
  record(now: number, failed: boolean): boolean {
    const slot = this.advance(now);
    this.calls[slot] = (this.calls[slot] ?? 0) + 1;
    this.totalCalls++;
    if (!failed) return false;
    this.failures[slot] = (this.failures[slot] ?? 0) + 1;
    this.totalFailures++;
    // Integer arithmetic: failures / calls >= threshold / 100 without rounding surprises.
    return this.totalCalls >= this.options.minimumCalls && this.totalFailures * 100 >= this.options.failureRateThreshold * this.totalCalls;
  }

  /** Calls and failures in the window at `now`, without changing it. */
  counts(now: number): WindowCounts {
    const bucket = Math.floor(now / this.bucketMs);
    if (bucket - this.newest >= WINDOW_BUCKETS) return { calls: 0, failures: 0 };
    let calls = this.totalCalls;
    let failures = this.totalFailures;
    // Buckets the window has slid past since the last call still hold their old counts.
    for (let b = this.newest + 1; b <= bucket; b++) {
      const slot = slotOf(b);
      calls -= this.calls[slot] ?? 0;
      failures -= this.failures[slot] ?? 0;
    }
    return { calls, failures };
  }

  /** Empties the buckets the window has slid past since the last call; returns the slot of `now`. */
  private advance(now: number): number {
    // A clock that steps back (NTP) records into the newest bucket rather than into one that
    // already aged out.
    const bucket = Math.max(Math.floor(now / this.bucketMs), this.newest);
    if (bucket - this.newest >= WINDOW_BUCKETS) {
      this.calls.fill(0);
      this.failures.fill(0);
      this.totalCalls = 0;
      this.totalFailures = 0;
    } else {
      for (let b = this.newest + 1; b <= bucket; b++) {
        const slot = slotOf(b);
        this.totalCalls -= this.calls[slot] ?? 0;
        this.totalFailures -= this.failures[slot] ?? 0;
        this.calls[slot] = 0;
        this.failures[slot] = 0;
      }
    }
    this.newest = bucket;
    return slotOf(bucket);
  }
}

function slotOf(bucket: number): number {
  return ((bucket % WINDOW_BUCKETS) + WINDOW_BUCKETS) % WINDOW_BUCKETS;
}
