#!/usr/bin/env node
// Installs the Node.js binaries pinned in scripts/node-lines.json (one version per supported
// line) so the test lanes and `pnpm bench --node <line>` can run on lines other than the
// machine's own Node. The npm registry serves the official binaries as `node-<os>-<arch>`
// packages; installing them with npm needs nothing but the registry CI already reaches.
//
//   node scripts/node-lines.mjs [22 24 26]   install (skips installed ones), print line, version, path
//   node scripts/node-lines.mjs --path 26    print only the binary's path (installs it if needed)
//
// Cache: node_modules/.cache/node-lines/<version>/ (git-ignored with node_modules; about 210 MB
// a version). To use a Node you installed yourself (another OS, or nvm), set
// AURUM_NODE_<line>=/path/to/node: it is checked, not installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(import.meta.dirname, '..');
export const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'scripts', 'node-lines.json'), 'utf8'));
/** The pinned lines, oldest first, e.g. ['22', '24', '26']. */
export const LINES = Object.keys(MANIFEST.lines).sort((a, b) => Number(a) - Number(b));
export const CACHE = join(ROOT, 'node_modules', '.cache', 'node-lines');

// The registry only has Linux builds under these names; the platform picks the package and its pin.
const PLATFORM = `${process.platform}-${process.arch}`;
const PACKAGE = `node-${PLATFORM}`;

/** The version a binary reports ('v26.12.1' → '26.12.1'), or undefined when it does not run. */
function versionOf(bin) {
  const run = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim().replace(/^v/, '') : undefined;
}

/** The machine's own Node counts as its line too (Node 20 here), so `--node 20` needs no download. */
function isCurrentLine(line) {
  return process.versions.node.split('.')[0] === String(line);
}

/**
 * The path of a working `node` binary for `line` ('22', '24', '26', or the running Node's major),
 * installing the pinned version first when it is missing. Throws with a reason a human can act on.
 */
export function nodeFor(line, { quiet = false } = {}) {
  line = String(line).replace(/^v/, '');
  const override = process.env[`AURUM_NODE_${line}`];
  if (override) {
    const version = versionOf(override);
    if (!version?.startsWith(`${line}.`)) throw new Error(`AURUM_NODE_${line}=${override} is not a Node ${line} binary (it reports ${version ?? 'nothing'})`);
    return override;
  }
  const pin = MANIFEST.lines[line];
  if (!pin) {
    if (isCurrentLine(line)) return process.execPath;
    throw new Error(`Node ${line} is not a pinned line (scripts/node-lines.json has ${LINES.join(', ')}; this machine runs ${process.version})`);
  }
  const dir = join(CACHE, pin.version);
  const bin = join(dir, 'node_modules', PACKAGE, 'bin', 'node');
  if (versionOf(bin) === pin.version) return bin;
  install(line, pin, dir, quiet);
  const got = versionOf(bin);
  if (got !== pin.version) throw new Error(`installed ${PACKAGE}@${pin.version} but ${bin} reports ${got ?? 'nothing'}`);
  return bin;
}

/** npm ci from a lockfile written from the pin: npm itself rejects a tarball with another hash. */
function install(line, pin, dir, quiet) {
  const integrity = pin.integrity?.[PLATFORM];
  if (!integrity) {
    throw new Error(
      `no pinned Node ${line} binary for ${PLATFORM} (the registry has them for ${Object.keys(pin.integrity ?? {}).join(', ')}); ` +
        `install Node ${line} yourself and set AURUM_NODE_${line}=/path/to/node`,
    );
  }
  if (!quiet) process.stderr.write(`node-lines: installing ${PACKAGE}@${pin.version} (Node ${line}) into ${dir}\n`);
  // Install into a scratch folder and rename at the end: an interrupted download never looks installed.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const name = `aurum-node-lines-${pin.version}`;
  writeFileSync(join(tmp, 'package.json'), `${JSON.stringify({ name, private: true, dependencies: { [PACKAGE]: pin.version } }, null, 2)}\n`);
  const lock = {
    name,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name, dependencies: { [PACKAGE]: pin.version } },
      [`node_modules/${PACKAGE}`]: {
        version: pin.version,
        // npm rewrites this host to the configured registry (replace-registry-host=npmjs, the default).
        resolved: `https://registry.npmjs.org/${PACKAGE}/-/${PACKAGE}-${pin.version}.tgz`,
        integrity,
        bin: { node: 'bin/node' },
      },
    },
  };
  writeFileSync(join(tmp, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  const npm = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: tmp,
    stdio: ['ignore', 'ignore', 'inherit'],
    // Settings a parent `npm run`/pnpm passes down (workspace, prefix, global) must not redirect this install.
    env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_config_(workspace|prefix|global|location)/i.test(key))),
  });
  if (npm.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`npm ci of ${PACKAGE}@${pin.version} failed (exit ${npm.status ?? npm.signal ?? npm.error?.message})`);
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  try {
    if (args[0] === '--path') {
      if (!args[1]) throw new Error('usage: node scripts/node-lines.mjs --path <line>');
      console.log(nodeFor(args[1], { quiet: true }));
    } else {
      if (!existsSync(CACHE)) mkdirSync(CACHE, { recursive: true });
      for (const line of args.length ? args : LINES) {
        const bin = nodeFor(line);
        console.log(`node ${line}: v${versionOf(bin)} ${bin}`);
      }
    }
  } catch (error) {
    console.error(`node-lines: ${error.message}`);
    process.exit(1);
  }
}
