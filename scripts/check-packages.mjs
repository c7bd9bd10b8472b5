#!/usr/bin/env node
// Checks every publishable package as users get it: publint (manifest/exports), attw (types for
// ESM and CJS consumers), and a smoke run that imports the built files both ways.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const packages = readdirSync(join(root, 'packages'))
  .map((dir) => join(root, 'packages', dir))
  .filter((dir) => !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private);

const bin = (name) => join(root, 'node_modules', '.bin', name);
let failed = false;
for (const dir of packages) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  try {
    execFileSync(bin('publint'), ['--strict', dir], { stdio: 'pipe' });
    const esm = await import(pathToFileURL(join(dir, pkg.exports['.'].import.default)).href);
    const cjs = createRequire(join(dir, 'package.json'))(join(dir, pkg.exports['.'].require.default));
    // A default export makes the CommonJS module that value itself, carrying the named exports
    // (`register(require(pkg))` and `const { name } = require(pkg)` both work), like @fastify/rate-limit.
    if ('default' in esm && (cjs !== cjs.default || typeof cjs !== typeof esm.default))
      throw new Error('the CJS build does not export the default as module.exports (require(pkg) is not the default export)');
    // attw cannot see that such a module also has `.default` (just checked), so it takes the
    // `export default` of the CommonJS types for a wrong one.
    const ignore = 'default' in esm ? ['--ignore-rules', 'false-export-default'] : [];
    execFileSync(bin('attw'), ['--pack', dir, '--profile', 'node16', '--format', 'table-flipped', ...ignore], { stdio: 'pipe' });
    const names = Object.keys(esm).sort().join();
    // Such a module may also carry what the value itself has (fastify-plugin names the plugin on it).
    const cjsNames = Object.keys(cjs).filter((key) => key in esm || !(esm.default && key in esm.default));
    if (names !== cjsNames.sort().join()) throw new Error(`ESM and CJS builds export different names: ${names} / ${cjsNames.join()}`);
    console.log(`ok   ${pkg.name} (${Object.keys(esm).length} exports, ESM = CJS)`);
  } catch (error) {
    failed = true;
    console.error(`FAIL ${pkg.name}\n${error.stdout?.toString() ?? ''}${error.stderr?.toString() ?? ''}${error.stdout ? '' : error.message}`);
  }
}

// A real decision through the built ESM and CJS core.
const core = JSON.parse(readFileSync(join(root, 'packages/core/package.json'), 'utf8'));
const coreDir = join(root, 'packages/core');
for (const load of [
  async () => import(pathToFileURL(join(coreDir, core.exports['.'].import.default)).href),
  async () => createRequire(join(coreDir, 'package.json'))(join(coreDir, core.exports['.'].require.default)),
]) {
  const { createRateLimitManager } = await load();
  const manager = createRateLimitManager({ env: false, load: { enabled: false } });
  const decisions = [];
  for (let i = 0; i < 11; i++) decisions.push((await manager.checkRateLimit('smoke-tenant', '/')).allowed);
  await manager.close();
  if (decisions.filter(Boolean).length !== 10) {
    failed = true;
    console.error('FAIL built core did not admit exactly the free burst of 10');
  }
}
if (failed) process.exit(1);
console.log('built packages: all checks passed');
