// Suite 1: memory decisions/s, single thread, every run in a fresh child process, median of
// runs interleaved across contenders; heap bytes per tracked key after forced GC.
import { fileURLToPath } from 'node:url';
import { log, parseArgs } from '../lib/args.mjs';
import { runNodeJson } from '../lib/child.mjs';
import { median } from '../lib/stats.mjs';
import { writeSuiteResult } from '../lib/output.mjs';
import { CONTENDERS, SCENARIOS } from './memory-contenders.mjs';

const worker = fileURLToPath(new URL('./memory-worker.mjs', import.meta.url));

export async function memorySuite({ quick }) {
  const config = quick
    ? { runs: 1, minDecisions: 200_000, minMs: 200, warmMs: 100, capMs: 3_000, heapKeys: 20_000 }
    : { runs: 5, minDecisions: 1_000_000, minMs: 2_000, warmMs: 150, capMs: 15_000, heapKeys: 100_000 };
  const names = Object.keys(CONTENDERS);
  const scenarios = [];
  for (const [id, scenario] of Object.entries(SCENARIOS)) {
    const applicable = names.filter((n) => !CONTENDERS[n].scenarios || CONTENDERS[n].scenarios.includes(id));
    const runs = new Map(applicable.map((n) => [n, []]));
    for (let r = 0; r < config.runs; r++) {
      // Rotate the order every round so no contender always runs first (or right after the slowest).
      const order = applicable.map((_, i) => applicable[(i + r) % applicable.length]);
      for (const name of order) {
        const result = await runNodeJson([worker, 'run', name, id, config.minDecisions, config.minMs, config.warmMs, config.capMs], {
          timeoutMs: config.capMs + 30_000,
        });
        runs.get(name).push(result);
        log(`  memory ${id} #${r + 1} ${name}: ${Math.round(result.opsPerSec).toLocaleString('en-US')}/s${result.capped ? ' (capped)' : ''}`);
      }
    }
    scenarios.push({
      id,
      title: scenario.title,
      rows: applicable.map((name) => {
        const list = runs.get(name);
        const c = CONTENDERS[name];
        return {
          id: name,
          label: c.label,
          ours: c.ours,
          reference: c.reference === true,
          opsPerSec: median(list.map((x) => x.opsPerSec)),
          runs: list.map((x) => Math.round(x.opsPerSec)),
          decisionsPerRun: Math.min(...list.map((x) => x.decisions)),
          msPerRun: Math.round(Math.min(...list.map((x) => x.ms))),
          allowedShare: median(list.map((x) => x.allowedShare)),
          cpuShareMin: Math.min(...list.map((x) => x.cpuShare)),
          capped: list.some((x) => x.capped),
        };
      }),
    });
  }

  const heap = [];
  for (const name of names.filter((n) => !CONTENDERS[n].scenarios && CONTENDERS[n].kind !== 'sync')) {
    const c = CONTENDERS[name];
    const result = await runNodeJson([worker, 'heap', name, config.heapKeys], { nodeArgs: ['--expose-gc'], timeoutMs: 120_000 });
    log(`  heap ${name}: ${result.bytesPerKey.toFixed(1)} B/key`);
    heap.push({ id: name, label: c.label, ours: c.ours, reference: c.reference === true, bytesPerKey: result.bytesPerKey, keys: result.keys });
  }
  return { suite: 'memory', config, scenarios, heap };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs();
  await writeSuiteResult(args.out, await memorySuite(args));
}
