/**
 * docs/configuration.md's environment-variable table is rendered from the variable table the
 * loader reads (issue 15), so the two cannot drift: this fails until `pnpm docs:config` is run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOC, END, renderEnvTable, START, withEnvTable } from '../../../scripts/docs-config.js';
import { ENV_TABLE } from '../src/config/env/variables.js';
import { ENV_VARS } from '../src/index.js';

describe('the environment-variable table', () => {
  it('names each variable once, and is what ENV_VARS lists', () => {
    expect(new Set(ENV_VARS).size).toBe(ENV_TABLE.length);
    expect(ENV_VARS).toEqual(ENV_TABLE.map((v) => v.name));
  });

  it('keeps each per-tier family together, so the docs can show it as one row', () => {
    const families = ENV_TABLE.map((v) => v.family).filter((f) => f !== undefined);
    const runs = families.filter((f, i) => f !== families[i - 1]);
    expect(runs).toEqual([...new Set(families)]);
  });

  it('is rendered into docs/configuration.md (run `pnpm docs:config` to update it)', () => {
    const doc = readFileSync(DOC, 'utf8');
    expect(doc).toContain(START);
    expect(doc, 'docs/configuration.md is out of date: run `pnpm docs:config`').toBe(withEnvTable(doc, renderEnvTable()));
  });

  it('replaces only the text between the markers', () => {
    const doc = `# Title\n\nbefore\n${START}\nold table\n${END}\n\nafter\n`;
    expect(withEnvTable(doc, '| new |')).toBe(`# Title\n\nbefore\n${START}\n| new |\n${END}\n\nafter\n`);
    expect(() => withEnvTable('no markers', '| new |')).toThrow(/env-table:start/);
  });
});
