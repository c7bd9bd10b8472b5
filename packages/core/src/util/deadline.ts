import type { Timers } from '../clock.js';

/** What {@link within} answers when the deadline passed first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * `promise`'s value, or {@link TIMED_OUT} once `ms` have passed (on the injected timers, so tests
 * drive it with a fake clock). The promise itself keeps running; a rejection passes through.
 */
export function within<T>(promise: Promise<T>, ms: number, timers: Timers): Promise<T | typeof TIMED_OUT> {
  return new Promise((resolve, reject) => {
    const timer = timers.setTimeout(() => resolve(TIMED_OUT), ms);
    promise.then(
      (value) => {
        timers.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        timers.clearTimeout(timer);
        reject(error);
      },
    );
  });
}
