import type { Timers } from '../clock.js';
import type { RateLimitStore } from './types.js';

/**
 * Waits, at most the store timeout, for a primary that is still making its first connection.
 * Without it a fresh process (a script, a cold pod) would decide its first requests from the
 * fallback although the shared store is only milliseconds away. Every call made meanwhile shares
 * one wait; once a wait has timed out, later calls of the same start-up do not wait again: a
 * primary that takes long to connect must not add the timeout to every request until it does.
 */
export class FirstConnection {
  private connecting: Promise<boolean> | undefined;
  private gaveUp = false;
  /** Why the first connection failed, when it did (ECONNREFUSED…): what a log line should say. */
  private failure: unknown;

  constructor(
    private readonly primary: RateLimitStore,
    private readonly timers: Timers,
    private readonly timeoutMs: number,
  ) {}

  /** True while calls must wait (or fall back): the primary says it is still starting. */
  get pending(): boolean {
    return this.primary.isStarting?.() === true;
  }

  /** The error the first connection attempt failed with, if it failed (rather than being slow). */
  get error(): unknown {
    return this.failure;
  }

  /** True once connected within the timeout; false when it took too long or failed. */
  async wait(): Promise<boolean> {
    const whenConnected = this.primary.whenConnected;
    if (whenConnected === undefined || this.gaveUp) return false;
    this.connecting ??= whenConnected.call(this.primary).then(
      () => true,
      (error: unknown) => {
        this.failure = error;
        return false;
      },
    );
    let timer: unknown;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = this.timers.setTimeout(() => resolve(false), this.timeoutMs);
    });
    try {
      const connected = await Promise.race([this.connecting, timedOut]);
      if (!connected) this.gaveUp = true;
      return connected && !this.pending;
    } finally {
      this.timers.clearTimeout(timer);
    }
  }
}
