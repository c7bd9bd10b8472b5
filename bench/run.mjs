// The benchmark suite (issue #7). `pnpm bench` builds, then runs every suite in its own child
// process (bounded by a timeout each), prints Markdown, writes bench/results/latest.json,
// docs/benchmarks.md and docs/benchmarks/*.svg (only when every suite finished on one build;
// else bench/results/partial.*). `--quick` (< 2 min, for CI) writes bench/results/quick.json,
// quick.md and quick/ instead and leaves docs/ alone.
// Exit status: non-zero only when a suite crashed or timed out — never because of a figure.
// `--node <line>` (22, 24, 26: scripts/node-lines.json) re-runs this script, and so every suite,
// under that Node line's binary (installed on first use); the report names the version measured.
//   node bench/run.mjs [--quick] [--only memory,redis,http,denied,degraded,leasing] [--node 26]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/args.mjs';
import { onExit } from './lib/cleanup.mjs';
import { distHash, load, machineInfo } from './lib/env.mjs';
import { REPO, writeJson } from './lib/output.mjs';
import { writeReport } from './lib/report.mjs';

const args = parseArgs();
const quick = args.quick;
const nodeLine = nodeLineFlag(args.rest);
if (nodeLine && nodeLine !== process.versions.node.split('.')[0]) {
  // Not on the requested line yet: run this same command under its binary (suites inherit process.execPath).
  const { nodeFor } = await import('../scripts/node-lines.mjs');
  let bin;
  try {
    bin = nodeFor(nodeLine);
  } catch (error) {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`bench: running on Node ${nodeLine} (${bin})\n`);
  const child = spawnSync(bin, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
// Seconds each suite may take before it is stopped (a hang is a failure, not a figure).
const SUITES = {
  memory: { timeout: quick ? 60 : 480, redis: false },
  redis: { timeout: quick ? 30 : 200, redis: true },
  http: { timeout: quick ? 60 : 480, redis: true },
  denied: { timeout: quick ? 30 : 150, redis: true },
  degraded: { timeout: quick ? 20 : 120, redis: true },
  leasing: { timeout: quick ? 45 : 420, redis: true },
};
const haveRedis = spawnSync('redis-server', ['--version']).status === 0 && spawnSync('redis-benchmark', ['--version']).status === 0;
const selected = (args.only ?? Object.keys(SUITES)).filter((name) => {
  if (!(name in SUITES)) throw new Error(`unknown suite ${name}; known: ${Object.keys(SUITES).join(', ')}`);
  return true;
});

const started = Date.now();
const results = {
  meta: {
    command: `${quick ? 'pnpm bench:quick' : args.only ? `node bench/run.mjs --only ${args.only.join(',')}` : 'pnpm bench'}${nodeLine ? ` --node ${nodeLine}` : ''}`,
    quick,
    date: new Date().toISOString(),
    loadStart: load(),
    distHash: distHash(),
    ...machineInfo(),
  },
  suites: {},
};
const work = mkdtempSync(join(tmpdir(), 'aurum-bench-'));
onExit(() => rmSync(work, { recursive: true, force: true }));
let failures = 0;

for (const name of selected) {
  const suite = SUITES[name];
  if (suite.redis && !haveRedis) {
    results.suites[name] = { skipped: 'redis-server / redis-benchmark not installed' };
    process.stderr.write(`\n== ${name}: skipped (redis-server not installed)\n`);
    continue;
  }
  process.stderr.write(`\n== ${name}${quick ? ' (quick)' : ''}\n`);
  const t0 = Date.now();
  const out = join(work, `${name}.json`);
  const { code, signal, timedOut } = await runSuite(name, out, suite.timeout * 1000);
  if (code === 0) {
    results.suites[name] = { ...JSON.parse(readFileSync(out, 'utf8')), seconds: Math.round((Date.now() - t0) / 1000) };
    process.stderr.write(`== ${name} done in ${Math.round((Date.now() - t0) / 1000)} s\n`);
  } else {
    failures++;
    const why = timedOut ? `timed out after ${suite.timeout} s` : `exited with ${code ?? signal}`;
    results.suites[name] = { error: why };
    process.stderr.write(`== ${name} FAILED: ${why}\n`);
  }
}

results.meta.durationSec = (Date.now() - started) / 1000;
results.meta.loadEnd = load();
const distEnd = distHash();
if (distEnd !== results.meta.distHash) {
  results.meta.distChanged = `the built packages changed during the run (${results.meta.distHash} → ${distEnd}): figures mix two versions of the code`;
  process.stderr.write(`\nWARNING: ${results.meta.distChanged}\n`);
}
// A full run publishes (bench/results/latest.json, docs/) only when every suite finished on one
// build of the packages; otherwise it writes bench/results/partial.* and leaves them alone.
const publish = !quick && !args.only && failures === 0 && !results.meta.distChanged;
const kind = quick ? 'quick' : publish ? 'latest' : 'partial';
if (!quick && !publish) process.stderr.write('\nNot publishing to docs/ (a subset, a failed suite or a rebuild mid-run): see bench/results/partial.*\n');
const jsonFile = join(REPO, 'bench', 'results', `${kind}.json`);
writeJson(jsonFile, results);
const [mdFile, chartDir] = publish
  ? [join(REPO, 'docs', 'benchmarks.md'), join(REPO, 'docs', 'benchmarks')]
  : [join(REPO, 'bench', 'results', `${kind}.md`), join(REPO, 'bench', 'results', kind)];
console.log(writeReport(results, mdFile, chartDir));
process.stderr.write(
  `\nresults: ${jsonFile}\nreport:  ${mdFile}\ncharts:  ${chartDir}\ntotal:   ${Math.round(results.meta.durationSec)} s, ${failures} suite(s) failed\n`,
);
process.exit(failures ? 1 : 0);

/** The line of `--node 26` / `--node=v26` (parseArgs leaves both in `rest`), or undefined. */
function nodeLineFlag(rest) {
  const i = rest.findIndex((a) => a === '--node' || a.startsWith('--node='));
  if (i < 0) return undefined;
  const value = rest[i] === '--node' ? rest[i + 1] : rest[i].slice('--node='.length);
  if (!/^v?\d+$/.test(value ?? '')) {
    process.stderr.write(`bench: --node needs a major version, e.g. --node 26 (got ${value ?? 'nothing'})\n`);
    process.exit(1);
  }
  return value.replace(/^v/, '');
}

/** Runs one suite in its own process; SIGTERM (then SIGKILL) by PID when it overruns. */
function runSuite(name, out, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO, 'bench', 'suites', `${name}.mjs`), ...(quick ? ['--quick'] : []), '--out', out], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const unhook = onExit(() => child.kill('SIGKILL'));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      unhook();
      resolve({ code, signal, timedOut });
    });
  });
}
