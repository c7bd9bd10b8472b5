#!/usr/bin/env node
// Runs the pnpm version pinned in package.json#packageManager, so a machine with only Node and npm
// can run every workspace command. Uses a global pnpm when it is the pinned version, else npx.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const pinned = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).packageManager.replace(/^pnpm@/, '');
const args = process.argv.slice(2);
const shell = process.platform === 'win32';

const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell });
const useGlobal = probe.status === 0 && probe.stdout.trim() === pinned;
const [cmd, cmdArgs] = useGlobal ? ['pnpm', args] : ['npx', ['--yes', `pnpm@${pinned}`, ...args]];

const run = spawnSync(cmd, cmdArgs, { stdio: 'inherit', shell });
process.exit(run.status ?? 1);
