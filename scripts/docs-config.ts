// Writes the environment-variable table of docs/configuration.md from core's variable table
// (packages/core/src/config/env/variables.ts), between the env-table markers; the prose around
// it is left alone. packages/core/test/env-docs.test.ts fails when the doc is out of date.
//   pnpm docs:config
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ENV_TABLE, type EnvVariable } from '../packages/core/src/config/env/variables.js';
import { TIERS } from '../packages/core/src/tiers.js';

export const DOC = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
export const START = '<!-- env-table:start -->';
export const END = '<!-- env-table:end -->';

const TIER_NAMES = `{${TIERS.map((t) => t.toUpperCase()).join(',')}}`;

/** The Markdown table, one row per variable, one per family of per-tier variables. */
export function renderEnvTable(table: readonly EnvVariable[] = ENV_TABLE): string {
  const rows: string[][] = [];
  const seen = new Set<string>();
  for (const variable of table) {
    const family = variable.family;
    if (family !== undefined && seen.has(family)) continue;
    const members = family === undefined ? [variable] : table.filter((x) => x.family === family);
    const shown = [...new Set(members.map((x) => x.shown ?? 'unset'))].join(', ');
    if (family !== undefined) seen.add(family);
    rows.push([`\`${family?.replace('{TIER}', TIER_NAMES) ?? variable.name}\``, shown, variable.parser.expect, variable.doc]);
  }
  return markdownTable(['variable', 'default', 'accepts', 'meaning'], rows);
}

/** `doc` with the text between the markers replaced by `table`. */
export function withEnvTable(doc: string, table: string): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/configuration.md needs ${START} and ${END} around the table`);
  return `${doc.slice(0, start + START.length)}\n${table}\n${doc.slice(end)}`;
}

/** Columns padded to their widest cell, like the hand-written tables around it. */
function markdownTable(header: string[], rows: string[][]): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => cell.replaceAll('|', '\\|')));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] as string).length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i] as number)).join(' | ')} |`;
  const [head, ...body] = cells as [string[], ...string[][]];
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(DOC, withEnvTable(readFileSync(DOC, 'utf8'), renderEnvTable()));
  console.log(`wrote the environment-variable table of ${DOC}`);
}
