/** Longest delay a Node timer honours (2^31−1 ms, about 24.8 days); longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Source of wall-clock time in milliseconds. Injected everywhere time matters, so tests control it. */
export interface Clock {
  now(): number;
}

/** Timer functions, injectable for the same reason as {@link Clock}. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

// Wrappers, not references: `now: Date.now` would capture the function at import time and
// defeat fake timers installed later.
export const systemClock: Clock = { now: () => Date.now() };

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

/** Keeps a timer from holding the process open; a no-op for fake timer handles. */
export function unref(handle: unknown): void {
  (handle as { unref?: () => void } | undefined)?.unref?.();
}
