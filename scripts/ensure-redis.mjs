#!/usr/bin/env node
// The integration tests start their own redis-server processes on free loopback ports. This
// makes sure the binaries exist: on Debian/Ubuntu it installs them with apt-get when it can
// (root, or passwordless sudo); otherwise it says exactly what to install.
import { spawnSync } from 'node:child_process';

const has = (cmd) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
if (has('redis-server') && has('redis-cli')) process.exit(0);

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const sudo = !root && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
if (has('apt-get') && (root || sudo)) {
  const run = (args) =>
    spawnSync(root ? args[0] : 'sudo', root ? args.slice(1) : ['-n', ...args], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  console.log('redis-server is missing: installing it with apt-get (the tests start their own servers).');
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', 'redis-server']);
  if (has('redis-server') && has('redis-cli')) process.exit(0);
}
console.error(`redis-server and redis-cli are needed by the integration tests (they start their own servers on loopback).
Install them, then run the tests again:
  Debian/Ubuntu: sudo apt-get install redis-server
  macOS:         brew install redis`);
process.exit(1);
