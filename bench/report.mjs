// Re-renders the Markdown report and SVG charts from a results file without re-running anything.
//   node bench/report.mjs [bench/results/latest.json] [--md docs/benchmarks.md] [--charts docs/benchmarks]
//   node bench/report.mjs --merge bench/results/partial.json
// `--merge <file>` takes the suites of another run (`node bench/run.mjs --only leasing`, say) into
// the results file — each keeps that run's command, date and code in `meta`, shown in its section —
// writes it back, then re-renders.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO, writeJson } from './lib/output.mjs';
import { writeReport } from './lib/report.mjs';

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? resolve(argv[i + 1]) : fallback;
};
const file = argv[0] && !argv[0].startsWith('--') ? resolve(argv[0]) : join(REPO, 'bench', 'results', 'latest.json');
const results = JSON.parse(readFileSync(file, 'utf8'));
const merge = flag('--merge', undefined);
if (merge) {
  const other = JSON.parse(readFileSync(merge, 'utf8'));
  const { command, date, git, distHash, node, loadStart, loadEnd } = other.meta;
  for (const [name, suite] of Object.entries(other.suites)) {
    if (suite.error || suite.skipped) throw new Error(`${merge}: suite ${name} did not finish (${suite.error ?? suite.skipped}); not merged`);
    results.suites[name] = { ...suite, meta: { command, date, git, distHash, node, load: `${loadStart} → ${loadEnd}` } };
  }
  writeJson(file, results);
}
const md = writeReport(results, flag('--md', join(REPO, 'docs', 'benchmarks.md')), flag('--charts', join(REPO, 'docs', 'benchmarks')));
console.log(md);
