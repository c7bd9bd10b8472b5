#!/usr/bin/env node
// `npm run demo`: installs what the Express demo needs and runs it straight from the TypeScript
// sources (no build: curl lines within seconds of the install), quietly. The server is a child
// of this process: Ctrl-C, or stopping this process any other way, stops the server too.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const example = join(root, 'examples/express-basic');
// No pnpm "update available" banner and no turbo telemetry notice in a newcomer's first output.
const env = { ...process.env, npm_config_update_notifier: 'false', TURBO_TELEMETRY_DISABLED: '1' };

console.log('Installing the demo’s dependencies (first run only takes a while)…');
const install = spawnSync(
  process.execPath,
  [join(root, 'scripts/pnpm.mjs'), 'install', '--frozen-lockfile', '--filter', '@aurum/example-express-basic...', '--filter', '.', '--loglevel', 'error'],
  { cwd: root, stdio: 'inherit', env },
);
if (install.status !== 0) process.exit(install.status ?? 1);

// tsx loads the packages' TypeScript sources (the `@aurum/source` export condition).
const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
const server = spawn(process.execPath, ['--conditions=@aurum/source', '--import', tsx, 'server.mjs'], {
  cwd: example,
  stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  env,
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
// npm forwards no signal when only it is stopped: notice that it is gone (this process is
// re-parented) and stop the server then too.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) server.kill('SIGTERM');
}, 500).unref();
