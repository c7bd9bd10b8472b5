import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { REPO } from './output.mjs';

const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};

export const load = () =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

/** Machine, versions and the exact code measured (git HEAD plus uncommitted package changes). */
export function machineInfo() {
  const bench = JSON.parse(readFileSync(join(REPO, 'bench', 'package.json'), 'utf8'));
  const versions = {};
  for (const name of Object.keys(bench.dependencies).sort()) {
    try {
      versions[name] = JSON.parse(readFileSync(join(REPO, 'bench', 'node_modules', name, 'package.json'), 'utf8')).version;
    } catch {
      versions[name] = 'missing';
    }
  }
  const head = sh('git', ['rev-parse', '--short', 'HEAD']) ?? 'unknown';
  const dirty = (sh('git', ['status', '--porcelain', '--', 'packages']) ?? '').split('\n').filter(Boolean).length;
  const os = sh('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']);
  return {
    node: process.version,
    os: `${os ?? type()} (${type()} ${release()})`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    redis: (sh('redis-server', ['--version']) ?? 'not installed').replace(/^Redis server /, ''),
    git: `${head}${dirty ? ` + ${dirty} uncommitted file(s) under packages/` : ''} (built packages, dist/)`,
    versions,
  };
}

/** Hash of every built package entry (packages/<name>/dist/index.js): a change mid-run means mixed code. */
export function distHash() {
  const hash = createHash('sha1');
  const root = join(REPO, 'packages');
  for (const pkg of readdirSync(root).sort()) {
    const file = join(root, pkg, 'dist', 'index.js');
    hash.update(pkg);
    hash.update(existsSync(file) ? readFileSync(file) : 'missing');
  }
  return hash.digest('hex').slice(0, 12);
}
