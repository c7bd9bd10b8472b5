/**
 * What a TypeScript user reads for a mistake in the Express factory's options (issue 14): the
 * compiler's message names the options, not Express's `Application` (which it did while the
 * factory also declared an `(app, settings)` overload). Compiled, strict, with the compiler API.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { READER_COMPILER_OPTIONS } from './compiler.js';
import { ROOT } from './markdown.js';

const DIR = join(ROOT, 'packages/doc-tests/.diagnostics');
const gold = '{ requestsPerSecond: 1, burstSize: 2, maxConcurrentRequests: 3 }';
const CASES = {
  typo: `createRateLimitMiddleware({ tierRule: [{ pattern: 'ent-*', tier: 'enterprise' }] });`,
  undeclaredTier: `createRateLimitMiddleware({ tierRules: [{ pattern: 'g-*', tier: 'gold' }] });`,
  misspeltTier: `createRateLimitMiddleware({ tiers: { gold: ${gold} }, tierRules: [{ pattern: 'g-*', tier: 'gld' }] });`,
  stringCost: `createRateLimitMiddleware({ cost: '5' });`,
};
type Case = keyof typeof CASES;

/** Each case in its own file of one program; the flattened messages by case. */
function compile(): Record<Case, string[]> {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const files = new Map<string, Case>();
  for (const [name, code] of Object.entries(CASES) as [Case, string][]) {
    const file = join(DIR, `${name}.mts`);
    writeFileSync(file, `import { createRateLimitMiddleware } from '@aurum/ratelimit-express';\n${code}\n`);
    files.set(file, name);
  }
  const program = ts.createProgram([...files.keys()], READER_COMPILER_OPTIONS);
  const out = Object.fromEntries(Object.keys(CASES).map((k) => [k, []])) as unknown as Record<Case, string[]>;
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const name = d.file ? files.get(d.file.fileName) : undefined;
    if (name) out[name].push(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  }
  return out;
}

describe('Express factory diagnostics', () => {
  const messages = compile();
  afterAll(() => rmSync(DIR, { recursive: true, force: true }));

  it.each(Object.keys(CASES) as Case[])('%s: one message, about the options, not Application', (name) => {
    expect(messages[name]).toHaveLength(1);
    expect(messages[name][0]).not.toMatch(/Application|overload/i);
  });

  it('a misspelt option: names it and suggests the right one', () => {
    expect(messages.typo[0]).toMatch(/'tierRule' does not exist in type 'ExpressRateLimitOptions.*'.*Did you mean to write 'tierRules'\?/);
  });

  it('a tier nothing declares: names the tier', () => {
    expect(messages.undeclaredTier[0]).toBe(`Type '"gold"' is not assignable to type 'Tier'.`);
  });

  it('a misspelt tier of your own: suggests the declared one', () => {
    expect(messages.misspeltTier[0]).toMatch(/Type '"gld"' is not assignable to type .*"gold".*Did you mean '"gold"'\?/);
  });
});
