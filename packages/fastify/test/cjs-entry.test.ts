/**
 * The CommonJS build (issue 14): `require('@aurum/ratelimit-fastify')` is the plugin itself and
 * also carries the named exports, and building it prints no "named and default exports" warning.
 * Built with the package's own CommonJS options into a folder inside the package (so the built
 * file resolves the package's dependencies, as in dist/).
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import fastify, { type FastifyPluginAsync } from 'fastify';
import { build } from 'tsup';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cjs } from '../tsup.config.js';

const pkg = join(import.meta.dirname, '..');
const outDir = join(pkg, '.cjs-test');
// The config's paths are relative to the package; tests run from the repository root.
const entry = Object.fromEntries(Object.entries(cjs.entry as Record<string, string>).map(([name, file]) => [name, join(pkg, file)]));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('the CommonJS entry', () => {
  it('builds without the mixed-exports warning and is the plugin with its named exports', { timeout: 60_000 }, async () => {
    const printed: string[] = [];
    for (const method of ['warn', 'log', 'error', 'info'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
    }
    await build({ ...cjs, entry, tsconfig: join(pkg, 'tsconfig.json'), outDir, clean: true, sourcemap: false, silent: false });
    vi.restoreAllMocks();
    expect(printed.filter((line) => /named and default exports/.test(line))).toEqual([]);

    const required = createRequire(import.meta.url)(join(outDir, 'index.cjs'));
    expect(typeof required).toBe('function');
    expect(required.default).toBe(required);
    expect(required.aurumRateLimit).toBe(required);
    expect(typeof required.aurumRateLimitAdmin).toBe('function');

    // Registered both ways, it limits: the module itself, and the destructured name.
    const { aurumRateLimit } = required;
    for (const plugin of [required, aurumRateLimit] as FastifyPluginAsync<Record<string, unknown>>[]) {
      const app = fastify();
      await app.register(plugin, { env: false, load: { enabled: false } });
      app.get('/', async () => 'ok');
      const res = await app.inject({ url: '/', headers: { 'x-tenant-id': 'cjs' } });
      await app.close();
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBe('10');
    }
  });
});
