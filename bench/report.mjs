// Re-renders the Markdown report and SVG charts from a results file without re-running anything.
//   node bench/report.mjs [bench/results/latest.json] [--md docs/benchmarks.md] [--charts docs/benchmarks]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO } from './lib/output.mjs';
import { writeReport } from './lib/report.mjs';

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? resolve(argv[i + 1]) : fallback;
};
const file = argv[0] && !argv[0].startsWith('--') ? resolve(argv[0]) : join(REPO, 'bench', 'results', 'latest.json');
const results = JSON.parse(readFileSync(file, 'utf8'));
const md = writeReport(results, flag('--md', join(REPO, 'docs', 'benchmarks.md')), flag('--charts', join(REPO, 'docs', 'benchmarks')));
console.log(md);
