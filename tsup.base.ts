import type { Options } from 'tsup';

/**
 * Shared tsup options: dual ESM + CJS output with per-format declarations, so every package's
 * `exports` map can point `import.types` at `.d.ts` and `require.types` at `.d.cts`.
 */
export function packageConfig(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
