/**
 * Runs `op` in rounds and reports throughput (median of rounds) and per-call latency
 * percentiles. Rounds are interleaved across contenders by the caller, so machine noise hits
 * everyone alike.
 */
export async function measure(op, { calls = 200_000, sampleEvery = 16 } = {}) {
  const samples = [];
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    if (i % sampleEvery === 0) {
      const t = performance.now();
      await op(i);
      samples.push(performance.now() - t);
    } else {
      await op(i);
    }
  }
  const elapsed = performance.now() - start;
  return { opsPerSec: (calls / elapsed) * 1000, samples };
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Interleaves `rounds` rounds of every contender and prints a table with ratios to the first. */
export async function compare(title, contenders, { rounds = 5, calls } = {}) {
  const results = new Map(contenders.map((c) => [c.name, { ops: [], samples: [] }]));
  for (const c of contenders) await measure(c.op, { calls: Math.min(20_000, calls ?? 20_000) }); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      const { opsPerSec, samples } = await measure(c.op, { calls });
      const entry = results.get(c.name);
      entry.ops.push(opsPerSec);
      entry.samples.push(...samples);
    }
  }
  console.log(`\n## ${title}\n`);
  console.log('| contender | ops/s (median of rounds) | p50 µs | p99 µs | vs first |');
  console.log('|---|---:|---:|---:|---:|');
  let baseline;
  const rows = [];
  for (const c of contenders) {
    const { ops, samples } = results.get(c.name);
    ops.sort((a, b) => a - b);
    samples.sort((a, b) => a - b);
    const median = ops[Math.floor(ops.length / 2)];
    baseline ??= median;
    const row = { name: c.name, opsPerSec: median, p50us: percentile(samples, 50) * 1000, p99us: percentile(samples, 99) * 1000 };
    rows.push(row);
    console.log(
      `| ${c.name} | ${Math.round(median).toLocaleString('en-US')} | ${row.p50us.toFixed(2)} | ${row.p99us.toFixed(2)} | ${(median / baseline).toFixed(2)}× |`,
    );
  }
  return rows;
}
