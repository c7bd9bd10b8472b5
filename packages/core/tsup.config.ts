import { defineConfig } from 'tsup';
import { packageConfig } from '../../tsup.base.js';

// Three entries (app authors, store authors, adapter authors) share one copy of every module:
// code splitting keeps classes like RateLimitManager identical whichever entry they came from.
export default defineConfig(packageConfig({ entry: ['src/index.ts', 'src/store.ts', 'src/adapter.ts'], splitting: true }));
