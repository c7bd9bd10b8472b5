import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** A suite's result: to `out` when given (the runner), else pretty JSON on stdout. */
export async function writeSuiteResult(out, result) {
  if (out) writeFileSync(out, JSON.stringify(result));
  else console.log(JSON.stringify(result, null, 2));
}

/**
 * Writes JSON and formats it with the repo's Biome, so generated files pass `biome check`
 * (the root `check` script lints every JSON file in the tree).
 */
export function writeJson(file, value) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  const biome = join(REPO, 'node_modules', '.bin', 'biome');
  if (existsSync(biome)) {
    try {
      execFileSync(biome, ['format', '--write', file], { cwd: REPO, stdio: 'ignore', timeout: 30_000 });
    } catch {
      // Formatting is cosmetic; the data is written either way.
    }
  }
}
