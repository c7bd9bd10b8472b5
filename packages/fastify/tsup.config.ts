import { defineConfig, type Options } from 'tsup';
import { packageConfig } from '../../tsup.base.js';

// Three builds write into dist/ side by side: each cleans only the files it writes.
const DTS = '!**/*.d.{ts,cts,mts}';

/**
 * CommonJS from its own entry, whose only export is the default, so `module.exports` is the
 * plugin (with the named exports as properties). Exported for test/cjs-entry.test.ts.
 */
export const cjs: Options = packageConfig({ entry: { index: 'src/require.ts' }, format: ['cjs'], dts: false, clean: ['!**/*.js', '!**/*.js.map', DTS] });

export default defineConfig([
  packageConfig({ format: ['esm'], dts: false, clean: ['!**/*.cjs', '!**/*.cjs.map', DTS] }),
  cjs,
  // Both declaration files from the public entry: the CommonJS module has every named export as a
  // property, and `default`, so one description fits both.
  packageConfig({ format: ['esm', 'cjs'], dts: { only: true } }),
]);
