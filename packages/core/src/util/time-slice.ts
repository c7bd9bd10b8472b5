/**
 * Lets a long loop share the event loop: {@link due} turns true after `budgetMs` of work, and
 * {@link next} then waits one `setImmediate` turn, in which timers, I/O and other requests run.
 * Reading the clock costs too: check `due()` every few hundred iterations, not every one.
 */
export class TimeSlice {
  private started = performance.now();

  constructor(private readonly budgetMs = 4) {}

  /** Whether this slice has used its budget. */
  due(): boolean {
    return performance.now() - this.started >= this.budgetMs;
  }

  /** Gives the event loop one turn, then starts a new slice. */
  async next(): Promise<void> {
    // The global setImmediate, never injected timers: fake ones would hold a listing forever.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.started = performance.now();
  }
}
