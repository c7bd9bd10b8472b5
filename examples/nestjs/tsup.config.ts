import { defineConfig } from 'tsup';

// The runnable app: one ESM file; dependencies (the built @aurum/ratelimit-nestjs, Nest) stay external.
export default defineConfig({ entry: ['src/server.ts'], format: ['esm'], target: 'node20', platform: 'node', sourcemap: true, clean: true });
