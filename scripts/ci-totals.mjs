#!/usr/bin/env node
// The end of .ci/run: one row per test lane (test:all on this machine's Node, then each lane of
// scripts/test-lanes.mjs), the benchmark smoke run, and last the one "N passed, N failed" line
// summed over all of them. A run that exited non-zero without results counts as 1 failed, so
// does a crashed benchmark. Exit status 1 when anything failed.
//   node scripts/ci-totals.mjs --test-all <exit> <seconds> --lanes <exit> --bench <exit> <seconds>
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const values = (name, count) => {
  const i = argv.indexOf(name);
  if (i < 0) throw new Error(`missing ${name}`);
  return argv.slice(i + 1, i + 1 + count).map(Number);
};
const [allExit, allSeconds] = values('--test-all', 2);
const [lanesExit] = values('--lanes', 1);
const [benchExit, benchSeconds] = values('--bench', 2);

const read = (file) => {
  try {
    return JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
  } catch {
    return undefined;
  }
};

const rows = [];
// test:all: vitest's JSON report (vitest.config.ts writes it when CI is set).
const all = read('.vitest-results.json');
rows.push({
  name: `node${process.versions.node.split('.')[0]}-full`,
  what: `test:all, Node ${process.versions.node}`,
  passed: all?.numPassedTests ?? 0,
  failed: failedOf(all?.numFailedTests, allExit),
  seconds: allSeconds,
});
// The lanes: the summary scripts/test-lanes.mjs writes (absent when it crashed before the end).
const lanes = read('node_modules/.cache/test-lanes/summary.json');
for (const lane of lanes?.lanes ?? []) {
  const split = Object.entries(lane.parts)
    .map(([part, x]) => `${part} ${x.seconds} s`)
    .join(', ');
  rows.push({ name: lane.lane, what: `Node ${lane.node}; ${split}`, passed: lane.passed, failed: lane.failed, seconds: lane.seconds });
}
if (!lanes || (lanesExit !== 0 && lanes.failed === 0)) {
  rows.push({ name: 'test:lanes', what: `exited ${lanesExit} without a complete summary`, passed: 0, failed: 1, seconds: 0 });
}

// Every failed test by name, before the totals: a long run's log is read from its end.
const failedTests = [
  ['test:all', all],
  ...readdirOr('node_modules/.cache/test-lanes').map((f) => [f.replace(/\.json$/, ''), read(`node_modules/.cache/test-lanes/${f}`)]),
].flatMap(([run, report]) => failedNames(report).map((name) => `${run}: ${name}`));
if (failedTests.length > 0) {
  console.log('\n--- failed tests');
  for (const line of failedTests.slice(0, 40)) console.log(line);
  if (failedTests.length > 40) console.log(`… and ${failedTests.length - 40} more`);
}

console.log('\n--- totals');
for (const r of rows)
  console.log(`${r.name.padEnd(12)} ${`${r.passed} passed, ${r.failed} failed`.padEnd(26)} ${String(r.seconds).padStart(4)} s  (${r.what})`);
const benchFailed = benchExit === 0 ? 0 : 1; // the benchmark suite crashed or hung
console.log(`${'bench:quick'.padEnd(12)} ${(benchFailed ? 'crashed or hung: 1 failed' : 'ok').padEnd(26)} ${String(benchSeconds).padStart(4)} s`);

const passed = rows.reduce((n, r) => n + r.passed, 0);
const failed = rows.reduce((n, r) => n + r.failed, 0) + benchFailed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

/** Failed tests from a report, or 1 when the run exited non-zero with none marked failed (a crash, unhandled errors). */
function failedOf(reported, exit) {
  const failed = reported ?? 0;
  return exit !== 0 && failed === 0 ? 1 : failed;
}

/** The JSON reports of the lanes' parts (<lane>.<part>.json), none when the lanes did not run. */
function readdirOr(dir) {
  try {
    return readdirSync(join(ROOT, dir)).filter((f) => f.endsWith('.json') && f !== 'summary.json');
  } catch {
    return [];
  }
}

/** "file > test name" of every failed test in a vitest JSON report. */
function failedNames(report) {
  return (report?.testResults ?? []).flatMap((file) =>
    (file.assertionResults ?? []).filter((t) => t.status === 'failed').map((t) => `${file.name.replace(`${ROOT}/`, '')} > ${t.fullName ?? t.title}`),
  );
}
