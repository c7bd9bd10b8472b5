#!/usr/bin/env node
// Runs the test suite on the other supported Node.js lines (issue 17): `npm run test:all` covers
// the machine's Node; these lanes cover the lines pinned in scripts/node-lines.json.
//   node<newest>-full  every vitest project on the newest LTS line
//   node<line>         core, store-redis (real redis-server) and the adapter conformance suites
//                      (express, fastify, koa, nestjs) on each other line
//
//   node scripts/test-lanes.mjs [lane ...] [--jobs N] [--list]
//
// Each lane is vitest run by that line's binary (installed by scripts/node-lines.mjs), split in
// two parts that run side by side on two cores:
//   store-redis  the Redis store against real servers. Its fault tests measure timeouts and child
//                process start-up, so the store-redis parts of all lanes run one after another at
//                normal priority; two at once, or next to a full-speed run, failed here (measured).
//   others       every other project of the lane, at the lowest CPU priority (nice 19): it only
//                uses the core the store-redis part leaves idle (vitest keeps one test worker on a
//                2-core machine), so it neither slows nor disturbs that part.
// --jobs N runs N "others" parts at once (default 1); --serial runs one part at a time, all at
// normal priority (slower; for a busy machine); --others-after <file> holds the "others" parts
// until that file exists (.ci/run: until its low-priority build is done). Results: node_modules/.cache/test-lanes/
// <lane>.<part>.{json,log} and summary.json; the file redis-done appears when the last
// store-redis part has finished (.ci/run waits for it before test:all's own Redis tests start).
// The last line printed is "N passed, N failed"; the exit status is 1 when anything failed.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { LINES, MANIFEST, nodeFor } from './node-lines.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'node_modules', '.cache', 'test-lanes');
const VITEST = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
// A part that runs longer than this is stopped and counted as failed: a hang must not eat CI's time.
// A store-redis part takes about 100 s; an "others" part 2 min alone, longer when it only gets the
// CPU others leave (at the lowest priority it may wait out a whole test:all).
const TIMEOUT_MS = { redis: 6 * 60_000, others: 12 * 60_000 };
const REDIS = 'store-redis';
const ADAPTERS = ['express', 'fastify', 'koa', 'nestjs'];

const LANES = Object.fromEntries(
  LINES.map((line) =>
    line === MANIFEST.newest
      ? [`node${line}-full`, { line, projects: undefined }] // undefined: every project in vitest.config.ts
      : [`node${line}`, { line, projects: ['core', REDIS, ...ADAPTERS] }],
  ),
);

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const othersAfter = flag('--others-after');
const serial = args.includes('--serial');
if (serial) args.splice(args.indexOf('--serial'), 1);
const jobs = Math.max(1, Number(flag('--jobs') ?? 1));
if (args.includes('--list')) {
  for (const [name, lane] of Object.entries(LANES))
    console.log(`${name}: Node ${MANIFEST.lines[lane.line].version}, ${lane.projects?.join(', ') ?? 'every project'}`);
  process.exit(0);
}
const chosen = args.length ? args : Object.keys(LANES);
for (const name of chosen) if (!LANES[name]) fail(`unknown lane ${name}; known: ${Object.keys(LANES).join(', ')}`);

// Install every binary first (sequentially, before anything runs in parallel).
const nodes = {};
for (const name of chosen) {
  try {
    nodes[name] = nodeFor(LANES[name].line);
  } catch (error) {
    fail(`${name}: ${error.message}`);
  }
}

// Two parts per lane; their --project filters together select exactly the lane's projects.
const parts = chosen.flatMap((lane) => {
  const { projects } = LANES[lane];
  const others = projects ? projects.filter((p) => p !== REDIS).map((p) => `--project=${p}`) : [`--project=!${REDIS}`];
  return [
    { lane, part: REDIS, redis: true, filters: [`--project=${REDIS}`] },
    { lane, part: 'others', redis: false, filters: others },
  ];
});

// Ctrl-C or a CI cancel stops every vitest this script started (by process group), then exits.
const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const pid of running) killGroup(pid, 'SIGKILL');
    process.exit(130);
  });
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const started = Date.now();
const redisParts = parts.filter((p) => p.redis);
const otherParts = parts.filter((p) => !p.redis).sort((a, b) => Number(LANES[b.lane].projects === undefined) - Number(LANES[a.lane].projects === undefined));
if (serial) {
  await inTurn([...redisParts, ...otherParts]);
} else {
  const chain = inTurn(redisParts).then(() => writeFileSync(join(OUT, 'redis-done'), ''));
  const others = untilExists(othersAfter).then(() => Promise.all(Array.from({ length: jobs }, () => inTurn(otherParts))));
  await Promise.all([chain, others]);
}

// Per-lane totals, then the one line CI reads.
const summary = { lanes: [], passed: 0, failed: 0 };
for (const lane of chosen) {
  const mine = parts.filter((p) => p.lane === lane);
  const row = {
    lane,
    node: MANIFEST.lines[LANES[lane].line].version,
    passed: mine.reduce((n, p) => n + p.passed, 0),
    failed: mine.reduce((n, p) => n + p.failed, 0),
    seconds: mine.reduce((n, p) => n + p.seconds, 0),
    parts: Object.fromEntries(mine.map((p) => [p.part, { passed: p.passed, failed: p.failed, seconds: p.seconds, exit: p.exit }])),
  };
  summary.lanes.push(row);
  summary.passed += row.passed;
  summary.failed += row.failed;
}
summary.seconds = Math.round((Date.now() - started) / 1000);
writeFileSync(join(OUT, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);

for (const p of parts.filter((p) => p.failed)) {
  console.log(`\n--- ${p.lane} ${p.part} failed (${p.why}); from ${p.log}:`);
  console.log(failures(p.log));
}
console.log('\n--- test lanes (seconds are each lane\u2019s own run time; lanes overlap)');
for (const r of summary.lanes) {
  const split = Object.entries(r.parts)
    .map(([part, x]) => `${part} ${x.seconds} s`)
    .join(', ');
  console.log(`${r.lane.padEnd(12)} Node ${r.node.padEnd(8)} ${r.passed} passed, ${r.failed} failed  ${r.seconds} s (${split})`);
}
console.log(`lanes done in ${summary.seconds} s (${serial ? 'one part at a time' : `store-redis parts in turn, ${jobs} other part(s) alongside at nice 19`})`);
console.log(`${summary.passed} passed, ${summary.failed} failed`);
process.exit(summary.failed ? 1 : 0);

/** Resolves once `file` exists (at once without one): .ci/run's signal that its build is done. */
async function untilExists(file) {
  while (file && !existsSync(file)) await new Promise((r) => setTimeout(r, 1000));
}

/** Takes parts off the shared queue one at a time until it is empty (several callers share the work). */
async function inTurn(queue) {
  for (let p = queue.shift(); p; p = queue.shift()) await runPart(p);
}

/** One vitest process under the lane's Node; fills in passed, failed, seconds, exit and why. */
function runPart(p) {
  const name = `${p.lane}.${p.part}`;
  const node = nodes[p.lane];
  p.json = join(OUT, `${name}.json`);
  p.log = join(OUT, `${name}.log`);
  const t0 = Date.now();
  process.stdout.write(`${name}: started on ${node}\n`);
  // --cache=false: parallel vitest runs must not race on one results cache (it only orders files).
  // --allowOnly=false (and UPDATE_SNAPSHOT=none below): as strict as under CI, which is unset here.
  const argv = [VITEST, 'run', ...p.filters, '--cache=false', '--allowOnly=false', '--reporter=default', '--reporter=json', `--outputFile.json=${p.json}`];
  // The "others" part runs at the lowest CPU priority, in a session of its own (detached) so that
  // holds under autogroup scheduling too: whenever a store-redis part (or test:all) wakes up it
  // gets a core at once; "others" only soaks up the idle one.
  const [cmd, cmdArgs] = !p.redis && !serial ? ['sh', [join(ROOT, 'scripts', 'lowest-priority.sh'), node, ...argv]] : [node, argv];
  const fd = openSync(p.log, 'w');
  const child = spawn(cmd, cmdArgs, {
    cwd: ROOT,
    stdio: ['ignore', fd, fd],
    detached: true, // its own process group: a timeout stops vitest, its workers and their redis-servers
    // `node` on PATH is the lane's too, for anything a test starts by name.
    env: { ...laneEnv(process.env), PATH: `${dirname(node)}:${process.env.PATH}`, NO_COLOR: '1', UPDATE_SNAPSHOT: 'none' },
  });
  let timedOut = false;
  const timeoutMs = p.redis ? TIMEOUT_MS.redis : TIMEOUT_MS.others;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000).unref();
  }, timeoutMs);
  running.add(child.pid);
  return new Promise((done) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child.pid);
      killGroup(child.pid, 'SIGKILL'); // anything the part left behind (a crashed test's redis-server)
      p.seconds = Math.round((Date.now() - t0) / 1000);
      p.exit = code ?? signal;
      let results;
      try {
        results = JSON.parse(readFileSync(p.json, 'utf8'));
      } catch {}
      p.passed = results?.numPassedTests ?? 0;
      p.failed = results?.numFailedTests ?? 0;
      // A crash, a timeout or unhandled errors fail the part even when no test is marked failed.
      if (code !== 0 && p.failed === 0) p.failed = 1;
      p.why = timedOut ? `timed out after ${timeoutMs / 1000} s` : `exit ${p.exit}${results ? '' : ', no results file'}`;
      process.stdout.write(`${name}: ${p.passed} passed, ${p.failed} failed in ${p.seconds} s\n`);
      done();
    });
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {}
}

/** Vitest's failure report from a part's log (or its end, after a crash), at most 200 lines. */
function failures(file) {
  if (!existsSync(file)) return '(no log)';
  const lines = readFileSync(file, 'utf8').split('\n');
  const from = lines.findIndex((line) => /Failed Tests \d|Unhandled Errors/.test(line));
  return (from >= 0 ? lines.slice(from) : lines.slice(-60)).slice(0, 200).join('\n');
}

/**
 * The environment of a part, less two variables: FORCE_COLOR (logs are files), and CI, with which
 * vitest.config.ts sends the JSON report to .vitest-results.json (test:all's) whatever --outputFile says.
 */
function laneEnv(env) {
  const { FORCE_COLOR, CI, ...rest } = env;
  return rest;
}

function fail(message) {
  console.error(`test-lanes: ${message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
