/**
 * Every TypeScript/JavaScript block of the published docs compiles, strict, against the
 * packages' sources (issue 14): a renamed option or method breaks this test, not a reader's
 * first try. A block that is an excerpt of a larger program (a migration guide's before/after)
 * names the files it comes from (`excerpt=` in its info string); those are compiled where they
 * live, and this test checks the block still says what they say.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { READER_COMPILER_OPTIONS } from './compiler.js';
import { ROOT, read } from './markdown.js';
import { CONTEXTS } from './contexts.js';
import { type Snippet, snippets } from './snippets.js';

const DIR = join(ROOT, 'packages/doc-tests/.snippets');
const all = snippets();

/** Compiles every self-contained block in one program; diagnostics by block. */
function compile(blocks: readonly Snippet[]): Map<Snippet, string[]> {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  const names = new Map<string, Snippet>();
  /** Lines of context before each block, so messages point into the block. */
  const offsets = new Map<string, number>();
  blocks.forEach((block, i) => {
    const name = join(DIR, `${block.file.replace(/[^A-Za-z0-9]+/g, '-')}-${block.line}-${i}.${block.lang === 'ts' ? 'mts' : 'mjs'}`);
    const context = block.context === undefined ? '' : CONTEXTS[block.context];
    if (context === undefined) throw new Error(`${block.file}:${block.line}: unknown context ${block.context}`);
    offsets.set(name, context.split('\n').length - 1);
    // A block without imports or exports would be a script sharing one global scope with the others.
    writeFileSync(name, `${context}${block.code}\nexport {};\n`);
    names.set(name, block);
  });
  const program = ts.createProgram([...names.keys()], {
    ...READER_COMPILER_OPTIONS,
    allowJs: true,
    checkJs: true,
    // What docs/getting-started/nestjs.md tells NestJS users to set.
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
  });
  const out = new Map<Snippet, string[]>(blocks.map((b) => [b, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const block = d.file ? names.get(d.file.fileName) : undefined;
    if (!block) continue; // the packages' own sources are checked by their typecheck
    const { line } = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0 };
    const offset = offsets.get(d.file?.fileName ?? '') ?? 0;
    const where = line < offset ? 'context' : `line ${line + 1 - offset}`;
    (out.get(block) as string[]).push(`${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  return out;
}

describe('published code blocks', () => {
  const compiled = all.filter((s) => s.excerptOf === undefined);
  let results: Map<Snippet, string[]> | undefined;
  const diagnostics = (block: Snippet): string[] => {
    results ??= compile(compiled);
    return results.get(block) ?? [];
  };
  afterAll(() => rmSync(DIR, { recursive: true, force: true }));

  it('exist', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  for (const block of compiled) {
    it(`${block.file}:${block.line} compiles (strict)`, { timeout: 120_000 }, () => {
      expect(diagnostics(block)).toEqual([]);
    });
  }

  for (const block of all.filter((s) => s.excerptOf !== undefined)) {
    it(`${block.file}:${block.line} is an excerpt of ${block.excerptOf?.join(', ')}`, () => {
      const sources = (block.excerptOf as readonly string[]).map((f) => read(f)).join('\n');
      const normalise = (line: string) => line.trim().replace(/\s+/g, ' ');
      const have = new Set(sources.split('\n').map(normalise));
      const missing = block.code
        .split('\n')
        .map(normalise)
        .filter((line) => line !== '' && !line.startsWith('//') && !have.has(line));
      expect(missing).toEqual([]);
    });
  }
});
