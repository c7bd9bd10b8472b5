// One measurement in a fresh process, so no run inherits another's JIT state, heap or timers.
//   node memory-worker.mjs run  <contender> <scenario> <minDecisions> <minMs> <warmMs> <capMs>
//   node --expose-gc memory-worker.mjs heap <contender> <keys>
// Prints one JSON line on stdout.
import { CONTENDERS, SCENARIOS } from './memory-contenders.mjs';

const [mode, name, scenarioName, ...rest] = process.argv.slice(2);
const contender = CONTENDERS[name];
if (!contender) throw new Error(`unknown contender ${name}`);

if (mode === 'run') await run(SCENARIOS[scenarioName], ...rest.map(Number));
else if (mode === 'heap') await heap(Number(scenarioName));
else throw new Error(`unknown mode ${mode}`);

async function run(scenario, minDecisions, minMs, warmMs, capMs = Number.POSITIVE_INFINITY) {
  const c = contender.build(scenario);
  const keys = Array.from({ length: scenario.keys }, (_, i) => c.key(i));
  const loop = contender.kind === 'sync' ? syncLoop : asyncLoop;
  const batch = 20_000;
  let cursor = 0;
  // Warm-up (JIT, first inserts, the denied key's first allowed call), not timed.
  const warmEnd = performance.now() + warmMs;
  while (performance.now() < warmEnd) {
    await loop(c, keys, cursor, batch);
    cursor = (cursor + batch) % keys.length;
  }
  let decisions = 0;
  let allowed = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  // Both minimums must be met; `capMs` bounds a pathologically slow contender (reported as capped).
  while ((decisions < minDecisions || elapsed < minMs) && elapsed < capMs) {
    allowed += await loop(c, keys, cursor, batch);
    cursor = (cursor + batch) % keys.length;
    decisions += batch;
    elapsed = performance.now() - start;
  }
  const cpu = process.cpuUsage(cpuStart);
  await c.close?.();
  console.log(
    JSON.stringify({
      decisions,
      ms: elapsed,
      opsPerSec: (decisions / elapsed) * 1000,
      allowedShare: allowed / decisions,
      cpuShare: (cpu.user + cpu.system) / 1000 / elapsed,
      capped: decisions < minDecisions || elapsed < minMs,
    }),
  );
  process.exit(0);
}

async function asyncLoop(c, keys, from, n) {
  const { op, allowed, isDenial } = c;
  const k = keys.length;
  let j = from;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    try {
      if (allowed(await op(keys[j]))) ok++;
    } catch (error) {
      if (!isDenial?.(error)) throw error;
    }
    if (++j === k) j = 0;
  }
  return ok;
}

function syncLoop(c, keys, from, n) {
  const { op, allowed } = c;
  const k = keys.length;
  let j = from;
  let ok = 0;
  for (let i = 0; i < n; i++) {
    if (allowed(op(keys[j]))) ok++;
    if (++j === k) j = 0;
  }
  return ok;
}

/**
 * Heap bytes per tracked key: keys are built on the fly and kept only by the limiter, so their
 * strings count. JS heap plus ArrayBuffers (typed-array state lives outside the JS heap).
 */
async function heap(count) {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  const c = contender.build({ keys: count, deny: false });
  const used = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const settle = async () => {
    for (let i = 0; i < 4; i++) {
      globalThis.gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  // Touch every code path first (lazy structures, JIT), with keys outside the measured range.
  for (let i = 0; i < 1000; i++) await callOnce(c, c.key(10_000_000 + i));
  await settle();
  const before = used();
  for (let i = 0; i < count; i++) await callOnce(c, c.key(i));
  await settle();
  const after = used();
  // Keep the limiter alive until after the measurement.
  globalThis.__keep = c;
  console.log(JSON.stringify({ keys: count, bytes: after - before, bytesPerKey: (after - before) / count }));
  process.exit(0);
}

async function callOnce(c, key) {
  try {
    await c.op(key);
  } catch (error) {
    if (!c.isDenial?.(error)) throw error;
  }
}
