import { percentile } from './measure.mjs';

/** Runs `op` from `concurrency` loops until `total` calls are done; returns ops/s and latency percentiles (µs). */
export async function runConcurrent(op, { concurrency, total }) {
  let next = 0;
  const latencies = new Float64Array(total);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const t = performance.now();
        await op(i);
        latencies[i] = performance.now() - t;
      }
    }),
  );
  const elapsed = performance.now() - start;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  return { opsPerSec: (total / elapsed) * 1000, p50us: percentile(sorted, 50) * 1000, p99us: percentile(sorted, 99) * 1000 };
}

/** Interleaves rounds of each contender and prints medians with ratios to the first. */
export async function compareConcurrent(title, contenders, { concurrency, total, rounds = 5 }) {
  const runs = new Map(contenders.map((c) => [c.name, []]));
  for (const c of contenders) await runConcurrent(c.op, { concurrency, total: Math.min(total, 2000) });
  for (let r = 0; r < rounds; r++) for (const c of contenders) runs.get(c.name).push(await runConcurrent(c.op, { concurrency, total }));
  console.log(`\n## ${title}\n`);
  console.log('| contender | ops/s (median) | p50 µs | p99 µs | vs first |');
  console.log('|---|---:|---:|---:|---:|');
  let base;
  for (const c of contenders) {
    const list = runs.get(c.name).sort((a, b) => a.opsPerSec - b.opsPerSec);
    const mid = list[Math.floor(list.length / 2)];
    base ??= mid.opsPerSec;
    console.log(
      `| ${c.name} | ${Math.round(mid.opsPerSec).toLocaleString('en-US')} | ${mid.p50us.toFixed(0)} | ${mid.p99us.toFixed(0)} | ${(mid.opsPerSec / base).toFixed(2)}× |`,
    );
  }
}
