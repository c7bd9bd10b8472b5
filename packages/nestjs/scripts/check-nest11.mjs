#!/usr/bin/env node
// Proves the peer range's NestJS 11 half: installs NestJS 11 from the npm registry into a temp
// project (time-bounded), runs this package's whole test suite against it (vitest.nest11.config.ts),
// then packs the built core and adapter, installs the tarballs there and runs nest11-smoke.mjs.
// Needs `npm run build` (or `npx tsup` in packages/core and packages/nestjs) first.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// NEST_VERSION picks another NestJS 11 release, e.g. NEST_VERSION=11.0.0.
const nest = process.env.NEST_VERSION ?? '^11';
const here = resolve(import.meta.dirname, '..');
const temp = mkdtempSync(join(tmpdir(), 'aurum-nest11-'));
const run = (cmd, args, options = {}) => execFileSync(cmd, args, { stdio: 'inherit', timeout: 300_000, ...options });
const npmInstall = (args) =>
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...args], { cwd: temp, timeout: 180_000 });

try {
  writeFileSync(join(temp, 'package.json'), JSON.stringify({ name: 'aurum-nest11-check', private: true, type: 'module' }));
  npmInstall([...['common', 'core', 'platform-express', 'platform-fastify'].map((p) => `@nestjs/${p}@${nest}`), 'reflect-metadata@^0.2', 'rxjs@^7.8']);

  console.log('\n== the test suite against NestJS 11 (source)');
  run('npx', ['vitest', 'run', '--config', 'vitest.nest11.config.ts'], { cwd: here, env: { ...process.env, NEST11_DIR: temp } });

  console.log('\n== the packed, built package with NestJS 11');
  for (const dir of [resolve(here, '../core'), here]) run('pnpm', ['pack', '--pack-destination', temp], { cwd: dir, stdio: 'ignore' });
  const tarballs = readdirSync(temp).filter((f) => f.endsWith('.tgz'));
  npmInstall(tarballs.map((f) => `./${f}`));
  copyFileSync(join(import.meta.dirname, 'nest11-smoke.mjs'), join(temp, 'smoke.mjs'));
  run('node', ['smoke.mjs'], { cwd: temp, timeout: 60_000 });
  console.log('\nNestJS 11: all checks passed');
} finally {
  rmSync(temp, { recursive: true, force: true });
}
