import { latencySummary } from './stats.mjs';

let buffer = new Float64Array(1 << 20);

/**
 * Runs `op(i)` from `concurrency` loops for `durationMs`; returns ops/s and latency percentiles
 * in µs. `classify(result)` returns true for an allowed decision; a rejection counts as an
 * error unless `isDenial(error)` says it is a limiter's refusal. `yieldEvery`: each loop lets
 * the event loop turn (setImmediate) after that many calls; without it, calls that settle in
 * microtasks alone (an in-memory store) starve timers, as no real server does.
 */
export async function runFor(op, { concurrency, durationMs, classify = () => true, isDenial = () => false, yieldEvery = 0 }) {
  let n = 0;
  let allowed = 0;
  let errors = 0;
  let firstError;
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      let k = 0;
      while (performance.now() < end) {
        if (yieldEvery && ++k % yieldEvery === 0) await new Promise((resolve) => setImmediate(resolve));
        const i = n++;
        const t = performance.now();
        try {
          if (classify(await op(i))) allowed++;
        } catch (error) {
          if (!isDenial(error)) {
            errors++;
            firstError ??= error;
          }
        }
        if (i >= buffer.length) {
          const bigger = new Float64Array(buffer.length * 2);
          bigger.set(buffer);
          buffer = bigger;
        }
        buffer[i] = performance.now() - t;
      }
    }),
  );
  const elapsed = performance.now() - start;
  const { p50, p99, max } = latencySummary(buffer.subarray(0, n));
  return {
    ops: n,
    opsPerSec: (n / elapsed) * 1000,
    p50us: p50 * 1000,
    p99us: p99 * 1000,
    maxUs: max * 1000,
    allowedShare: n ? allowed / n : 0,
    errors,
    firstError: firstError ? String(firstError?.message ?? firstError) : undefined,
  };
}
