import type { Timers } from '../clock.js';
import { StoreTimeoutError } from '../errors.js';

/**
 * Settles with `promise`, or rejects with {@link StoreTimeoutError} after `ms`.
 *
 * The rejection is deferred by one `setImmediate`: timers run before I/O in each loop turn, so
 * after a long synchronous stall a reply that already sits in the socket would otherwise lose
 * the race to its own timeout and count as a store failure.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, timers: Timers): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const handle = timers.setTimeout(() => {
      setImmediate(() => {
        if (settled) return;
        settled = true;
        reject(new StoreTimeoutError(ms));
      });
    }, ms);
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        timers.clearTimeout(handle);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        timers.clearTimeout(handle);
        reject(error);
      },
    );
  });
}
