#!/usr/bin/env node
// Installs the packages the way users get them and runs what their READMEs say.
//
// Packs every publishable package with `pnpm pack` (which rewrites `workspace:` ranges), checks
// each tarball (manifest, files, declared dependencies), then, in fresh folders under
// os.tmpdir() (outside the workspace), installs the tarballs plus the real frameworks from the
// npm registry with npm, exactly as the README's `npm install` line lists them. Each app is the
// README's usage snippet, run unchanged with PORT=0 (any free port on 127.0.0.1), once as ESM and once as
// CommonJS (the NestJS one compiled with tsc from the registry). Requests go out until a 429
// comes back, which must carry the contract headers and body; then the app is stopped by PID.
// The Redis app runs against a redis-server this script starts on a free port.
//
// Prints tarball sizes and each adapter's install footprint; exits non-zero on any failure.
// Needs a build (`pnpm run build`), network access to the npm registry, and redis-server.
// `--keep` keeps the temporary folder.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

const root = resolve(import.meta.dirname, '..');
const started = Date.now();
const DEADLINE_MS = 290_000;
const keep = process.argv.includes('--keep');
const failures = [];
const notes = new Set();
const children = new Set();

// ---------------------------------------------------------------------------------------------
// Processes: every child is tracked and stopped by its PID, never by name.

/** Environment without the variables a `pnpm run` parent sets, so npm and the apps behave as in a user's shell. */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_(package|lifecycle|command|execpath|node_execpath|config_user_agent)|pnpm_|INIT_CWD$)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a command to completion; rejects with its output on a non-zero exit or after `timeoutMs`. */
function run(cmd, args, { cwd, timeoutMs = 120_000, env = cleanEnv() } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      cmd,
      args,
      { cwd, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, shell: process.platform === 'win32' },
      (error, stdout, stderr) => {
        children.delete(child);
        if (error) {
          error.message = `${cmd} ${args.join(' ')} (in ${cwd ?? process.cwd()}) failed: ${error.killed ? `timed out after ${timeoutMs} ms` : error.message}\n${tail(`${stdout}\n${stderr}`)}`;
          reject(error);
        } else resolvePromise({ stdout, stderr });
      },
    );
    children.add(child);
  });
}

/** Stops a child by its PID: SIGTERM, then SIGKILL after `graceMs`. */
async function stop(child, graceMs = 3_000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {}
  }, graceMs);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

function killAll() {
  for (const child of children) {
    try {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    } catch {}
  }
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}
const deadline = setTimeout(() => {
  console.error(`\nFAIL: the tarball test did not finish within ${DEADLINE_MS / 1000} s`);
  killAll();
  process.exit(1);
}, DEADLINE_MS);

const tail = (text, lines = 25) => text.trim().split('\n').slice(-lines).join('\n');
const kb = (bytes) => (bytes / 1024).toFixed(1);
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const seconds = () => ((Date.now() - started) / 1000).toFixed(0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Tarballs

/** Entries of a .tgz: path (without the leading `package/`) → contents. */
function readTarball(file) {
  const tar = gunzipSync(readFileSync(file));
  const files = new Map();
  let offset = 0;
  let longName;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start, length) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    const body = tar.subarray(offset + 512, offset + 512 + size);
    if (type === 'x') longName = /(?:^|\n)\d+ path=([^\n]+)\n/.exec(body.toString('utf8'))?.[1];
    else if (type === '0' || type === '\0') files.set(name.replace(/^[^/]+\//, ''), body);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

function pnpmCommand() {
  const pinned = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.replace(/^pnpm@/, '');
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', shell: process.platform === 'win32' });
  return probe.status === 0 && probe.stdout.trim() === pinned ? ['pnpm', []] : ['npx', ['--yes', `pnpm@${pinned}`]];
}

const STANDARD_CONDITIONS = new Set(['import', 'require', 'node', 'default', 'types', 'module-sync']);

/**
 * Files the manifest points users at (exports under standard conditions, main, module, types).
 * With `other`, collects the targets of custom conditions instead (`@aurum/source` is the
 * workspace's own, for running tests on the TypeScript sources).
 */
function manifestTargets(manifest, other) {
  const targets = new Set();
  const visit = (value, condition) => {
    if (typeof value === 'string') {
      const standard = condition === undefined || STANDARD_CONDITIONS.has(condition);
      if (standard) targets.add(value.replace(/^\.\//, ''));
      else other?.set(value.replace(/^\.\//, ''), condition);
    } else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) visit(inner, key.startsWith('.') ? condition : key);
    }
  };
  visit(manifest.exports);
  for (const field of ['main', 'module', 'types']) if (manifest[field]) targets.add(manifest[field].replace(/^\.\//, ''));
  return targets;
}

/** Bare specifiers a built file imports or requires, as package names. */
function importedPackages(code) {
  const names = new Set();
  for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\(\s*|^\s*import\s+)['"]([^'"./][^'"]*)['"]/gm)) {
    const spec = m[1];
    if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
    names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
  }
  return names;
}

async function packAll(dest) {
  const [pnpm, pnpmArgs] = pnpmCommand();
  const dirs = readdirSync(join(root, 'packages'))
    .map((d) => join(root, 'packages', d))
    .filter((d) => !JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).private);
  const packed = new Map();
  for (const dir of dirs) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const problems = [];
    for (const target of manifestTargets(manifest)) {
      if (target.startsWith('dist/') && !existsSync(join(dir, target))) problems.push(`${target} is missing: run the build first (pnpm run build)`);
    }
    if (problems.length > 0) {
      failures.push(`${manifest.name}: ${problems.join('; ')}`);
      continue;
    }
    const { stdout } = await run(pnpm, [...pnpmArgs, 'pack', '--json', '--pack-destination', dest], { cwd: dir, env: process.env });
    const file = JSON.parse(stdout.slice(stdout.indexOf('{'))).filename;
    const files = readTarball(file);
    const packedManifest = JSON.parse(files.get('package.json').toString('utf8'));
    // What users get must stand on its own.
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [name, range] of Object.entries(packedManifest[field] ?? {})) {
        if (String(range).startsWith('workspace:')) problems.push(`${field}.${name} is still ${range}`);
      }
    }
    const custom = new Map();
    for (const target of manifestTargets(packedManifest, custom))
      if (!files.has(target)) problems.push(`the manifest points at ${target}, which is not in the tarball`);
    for (const [target, condition] of custom) {
      if (!files.has(target))
        notes.add(`exports condition "${condition}" points at ${target}, which is not published (harmless unless a consumer enables that condition)`);
    }
    for (const required of ['README.md', 'LICENSE']) if (!files.has(required)) problems.push(`${required} is not in the tarball`);
    const declared = new Set(Object.keys({ ...packedManifest.dependencies, ...packedManifest.peerDependencies, ...packedManifest.optionalDependencies }));
    for (const [path, body] of files) {
      if (!/\.[cm]?js$|\.d\.[cm]?ts$/.test(path)) continue;
      for (const name of importedPackages(body.toString('utf8')))
        if (!declared.has(name)) problems.push(`${path} imports ${name}, which is not a dependency or peer`);
    }
    if (problems.length > 0) failures.push(`${packedManifest.name} tarball: ${problems.join('; ')}`);
    const unpacked = [...files.values()].reduce((sum, b) => sum + b.length, 0);
    const { size } = await lstat(file);
    packed.set(packedManifest.name, { file, files, manifest: packedManifest, size, unpacked });
  }
  return packed;
}

// ---------------------------------------------------------------------------------------------
// README snippets

/** The README's `npm install …` names (code blocks and inline code). */
function installNames(readme) {
  const names = [];
  for (const m of readme.matchAll(/npm install ([^`\n]+)/g)) for (const name of m[1].trim().split(/\s+/)) if (!name.startsWith('-')) names.push(name);
  return names;
}

/** The first ```js / ```ts block of a README that starts a server. */
function usageSnippet(readme, lang) {
  for (const m of readme.matchAll(/```(\w+)\n([\s\S]*?)```/g)) if (m[1] === lang && /\.listen\(/.test(m[2])) return m[2];
  return undefined;
}

/** The snippet as it is: it must take its port from `PORT` (the test sets 0: any free port). */
function portFromEnv(code) {
  if (!/process\.env\.PORT/.test(code)) throw new Error('the README snippet must listen on process.env.PORT (two instances on one host need different ports)');
  return code;
}

/** The same code as CommonJS: `import` lines become `require` calls; top-level `await` goes into an async function. */
function toCommonJs(esm) {
  const head = [];
  const body = [];
  const rules = [
    [/^import (\w+) from '([^']+)';$/, (m) => `const ${m[1]} = require('${m[2]}');`],
    [/^import \{([^}]+)\} from '([^']+)';$/, (m) => `const {${m[1].replace(/\s+as\s+/g, ': ')}} = require('${m[2]}');`],
    [/^import '([^']+)';$/, (m) => `require('${m[1]}');`],
  ];
  for (const line of esm.split('\n')) {
    const rule = rules.find(([re]) => re.test(line));
    if (rule) head.push(rule[1](rule[0].exec(line)));
    else if (line.startsWith('import ')) throw new Error(`cannot translate to CommonJS: ${line}`);
    else body.push(line);
  }
  const code = body.join('\n').trim();
  const awaits = /^(?:(?:const|let) [^=]+= )?await\b/m.test(code);
  return `${head.join('\n')}\n\n${awaits ? `(async () => {\n${code}\n})().catch((error) => {\n  console.error(error);\n  process.exit(1);\n});` : code}\n`;
}

// ---------------------------------------------------------------------------------------------
// Installs and footprints

/** Apparent size of a directory, not descending into `skip` (a nested node_modules is its own package). */
async function dirSize(dir, skip = 'node_modules') {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === skip && entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += await dirSize(path, null);
    else total += (await lstat(path)).size;
  }
  return total;
}

/**
 * Runtime packages npm installed (dev-only ones, like the TypeScript compiler, left out), their
 * size, and the share that exists only because of Aurum: the @aurum/* packages and whatever only
 * they pull in.
 */
async function footprint(folder) {
  const lock = JSON.parse(await readFile(join(folder, 'node_modules', '.package-lock.json'), 'utf8')).packages;
  const app = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8'));
  const resolveFrom = (from, name) => {
    let base = from;
    for (;;) {
      const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (lock[candidate]) return candidate;
      if (!base) return undefined;
      const i = base.lastIndexOf('/node_modules/');
      base = i === -1 ? '' : base.slice(0, i);
    }
  };
  const reach = (names, skipAurum) => {
    const seen = new Set();
    const queue = names.filter((n) => !(skipAurum && n.startsWith('@aurum/'))).map((n) => resolveFrom('', n));
    while (queue.length > 0) {
      const key = queue.pop();
      if (!key || seen.has(key)) continue;
      seen.add(key);
      const entry = lock[key];
      for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies })) {
        if (skipAurum && dep.startsWith('@aurum/')) continue;
        queue.push(resolveFrom(key, dep));
      }
    }
    return seen;
  };
  const rootDeps = Object.keys(app.dependencies ?? {});
  const all = reach(rootDeps, false);
  const withoutAurum = reach(rootDeps, true);
  let size = 0;
  let aurumSize = 0;
  let aurumCount = 0;
  for (const key of all) {
    const bytes = await dirSize(join(folder, key));
    size += bytes;
    if (!withoutAurum.has(key)) {
      aurumSize += bytes;
      aurumCount++;
    }
  }
  const version = (name) => lock[`node_modules/${name}`]?.version ?? '?';
  return {
    count: all.size,
    size,
    aurumCount,
    aurumSize,
    aurumOnly: [...all].filter((k) => !withoutAurum.has(k)).map((k) => k.replace(/^.*node_modules\//, '')),
    version,
  };
}

// ---------------------------------------------------------------------------------------------
// Running an app

const PRELOAD = `// Reports the port each server listens on (the README snippets listen on PORT=0: any free port).
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  this.once('listening', () => {
    const address = this.address();
    if (address && typeof address === 'object') process.stdout.write('\\nAURUM_TARBALL_LISTENING ' + address.address + ' ' + address.port + '\\n');
  });
  return listen.apply(this, args);
};
`;

/** Starts `entry` in `folder`, resolves with the child and its base URL once it listens. */
async function startApp(folder, entry, env, logFile) {
  const child = spawn(process.execPath, ['--require', join(folder, '..', 'report-port.cjs'), entry], {
    cwd: folder,
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const log = createWriteStream(logFile);
  let output = '';
  const listening = new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not listen within 20 s\n${tail(output)}`)), 20_000);
    const onData = (chunk) => {
      output += chunk;
      log.write(chunk);
      const m = /AURUM_TARBALL_LISTENING (\S+) (\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        if (m[1] !== '127.0.0.1') reject(new Error(`listens on ${m[1]}, not 127.0.0.1`));
        else resolvePromise(`http://127.0.0.1:${m[2]}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${signal ?? code}) before listening\n${tail(output)}`));
    });
  });
  try {
    return { child, url: await listening, output: () => output };
  } catch (error) {
    await stop(child);
    throw error;
  }
}

async function http(url, { method = 'GET', headers = {} } = {}) {
  const res = await fetch(url, { method, headers, signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, text, json };
}

/** Sends requests for `tenant` until a 429, then checks the 429 against the contract. Returns a one-line summary. */
async function driveTo429(url, path, method, tenant) {
  // Warm the app up with another tenant, so the burst below is not stretched by a cold start.
  await http(url + path, { method, headers: { 'x-tenant-id': `${tenant}-warmup` } });
  let allowed = 0;
  const t0 = performance.now();
  for (let i = 1; i <= 50; i++) {
    const requestId = `tarball-${tenant}-${i}`;
    const res = await http(url + path, { method, headers: { 'x-tenant-id': tenant, 'x-request-id': requestId } });
    if (res.status === 429) {
      const problems = contractProblems(res, tenant, requestId);
      // The free tier: a burst of 10, refilled at 5 per second while the requests go out.
      const refilled = Math.ceil(((performance.now() - t0) * 5) / 1000);
      if (allowed < 10 || allowed > 10 + refilled)
        problems.push(`${allowed} requests were allowed before the 429, expected the free burst of 10 (+${refilled} refilled)`);
      if (problems.length > 0)
        throw new Error(
          `the 429 breaks the contract:\n  - ${problems.join('\n  - ')}\n  headers: ${JSON.stringify(Object.fromEntries(res.headers))}\n  body: ${res.text}`,
        );
      return `${allowed} allowed, then 429 (Retry-After ${res.headers.get('retry-after')}, X-RateLimit-Limit ${res.headers.get('x-ratelimit-limit')})`;
    }
    if (res.status < 200 || res.status >= 300) throw new Error(`request ${i} got ${res.status}: ${res.text.slice(0, 300)}`);
    if (res.headers.get('x-ratelimit-limit') !== '10')
      throw new Error(`request ${i}: X-RateLimit-Limit is ${res.headers.get('x-ratelimit-limit')}, expected 10`);
    allowed++;
  }
  throw new Error('no 429 after 50 requests');
}

function contractProblems(res, tenant, requestId) {
  const problems = [];
  const h = (name) => res.headers.get(name);
  const retryAfter = h('retry-after');
  if (!/^[1-9]\d*$/.test(retryAfter ?? '')) problems.push(`Retry-After is ${retryAfter}, expected whole seconds >= 1`);
  const expect = { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-tenant': tenant, 'x-ratelimit-tier': 'free' };
  for (const [name, value] of Object.entries(expect)) if (h(name) !== value) problems.push(`${name} is ${h(name)}, expected ${value}`);
  if (!/^\d+$/.test(h('x-ratelimit-reset') ?? '')) problems.push(`X-RateLimit-Reset is ${h('x-ratelimit-reset')}`);
  if (!/^"free[\w.-]*";q=10;w=2$/.test(h('ratelimit-policy') ?? '')) problems.push(`RateLimit-Policy is ${h('ratelimit-policy')}`);
  if (!/^"free[\w.-]*";r=0;t=\d+$/.test(h('ratelimit') ?? '')) problems.push(`RateLimit is ${h('ratelimit')}`);
  if (!/^application\/json/.test(h('content-type') ?? '')) problems.push(`Content-Type is ${h('content-type')}`);
  const error = res.json?.error;
  if (!res.json || Object.keys(res.json).join() !== 'error' || !error) {
    problems.push('the body is not {"error":{…}}');
    return problems;
  }
  const want = {
    type: 'https://aurum.api/errors/rate_limit_exceeded',
    title: 'Rate Limit Exceeded',
    detail: `Too many requests for tenant ${tenant}`,
    retry_after: Number(retryAfter),
    instance: requestId,
  };
  if (Object.keys(error).sort().join() !== Object.keys(want).sort().join()) problems.push(`error has the fields ${Object.keys(error).join(', ')}`);
  for (const [key, value] of Object.entries(want))
    if (error[key] !== value) problems.push(`error.${key} is ${JSON.stringify(error[key])}, expected ${JSON.stringify(value)}`);
  return problems;
}

async function checkAdmin(url, tenant) {
  const token = 'tarball-admin-token';
  const denied = await http(`${url}/admin/ratelimit/tenants/${tenant}`);
  if (denied.status !== 401) throw new Error(`admin API without a token answered ${denied.status}, expected 401`);
  const res = await http(`${url}/admin/ratelimit/tenants/${tenant}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200 || res.json?.tenantId !== tenant || res.json?.tier !== 'free')
    throw new Error(`admin GET /tenants/${tenant} answered ${res.status}: ${res.text.slice(0, 300)}`);
  return 'admin API ok';
}

// ---------------------------------------------------------------------------------------------
// The apps

/**
 * Compiled against the packed typings as ESM (.mts) and CommonJS (.cts) with tsc from the
 * registry (issue 14): what must compile does, and every `@ts-expect-error` must meet its error.
 */
const FASTIFY_TYPES = `import Fastify from 'fastify';
import plugin, { aurumRateLimit, aurumRateLimitOptions, type RouteRateLimitConfig } from '@aurum/ratelimit-fastify';

const app = Fastify();
const gold = { requestsPerSecond: 1, burstSize: 2, maxConcurrentRequests: 3 };
const handler = async () => 'ok';
app.register(aurumRateLimit, { tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] });
app.register(plugin, aurumRateLimitOptions({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gold' }] }));
// @ts-expect-error tierRule: the option is tierRules
app.register(aurumRateLimit, { tierRule: [] });
// @ts-expect-error no tier 'gold' without a declaration
app.register(aurumRateLimit, { defaultTier: 'gold' });
// @ts-expect-error 'gld' is not a declared tier
aurumRateLimitOptions({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gld' }] });
app.get('/a', { config: { rateLimit: { cost: 5, bucket: 'exports' } } }, handler);
app.get('/b', { config: { rateLimit: false } }, handler);
// @ts-expect-error cost is a number
app.get('/c', { config: { rateLimit: { cost: '5' } } }, handler);
// @ts-expect-error cots: the limit is cost
app.get('/d', { config: { rateLimit: { cots: 5 } satisfies RouteRateLimitConfig } }, handler);
// @ts-expect-error cots: the limit is cost (explicit route generics: Fastify infers no ContextConfig)
app.get<{ Querystring: { q: string } }>('/e', { config: { rateLimit: { cots: 5 } } }, handler);
`;

/** `require()` gives the plugin itself, which also carries its named exports: each form limits. */
const FASTIFY_REQUIRE = `const Fastify = require('fastify');
const plugin = require('@aurum/ratelimit-fastify');
const { aurumRateLimit } = require('@aurum/ratelimit-fastify');
// Fastify's register() unwraps a .default, so the shape is checked as well as the registering.
if (typeof plugin !== 'function' || plugin.default !== plugin || aurumRateLimit !== plugin) throw new Error('require(pkg) is not the plugin itself');
(async () => {
  for (const [form, p] of [['require(pkg)', plugin], ['require(pkg).default', plugin.default], ['{ aurumRateLimit }', aurumRateLimit]]) {
    const app = Fastify();
    await app.register(p, { env: false });
    app.get('/', async () => 'ok');
    const res = await app.inject({ url: '/', headers: { 'x-tenant-id': 'cjs' } });
    await app.close();
    if (res.headers['x-ratelimit-limit'] !== '10') throw new Error(form + ' did not limit: X-RateLimit-Limit ' + res.headers['x-ratelimit-limit']);
  }
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

/** Runs `app.requireCheck` as a CommonJS script in the app's folder. */
async function requireCheck(app, folder) {
  const label = `${app.id} require`;
  try {
    await writeFile(join(folder, 'require-forms.cjs'), app.requireCheck);
    await run(process.execPath, ['require-forms.cjs'], { cwd: folder, timeoutMs: 30_000 });
    return { label, ok: true, detail: 'require(pkg), require(pkg).default and { aurumRateLimit } each register and limit' };
  } catch (error) {
    failures.push(`${label}: ${error.message}`);
    return { label, ok: false, detail: error.message };
  }
}

/** Compiles `app.typeCheck` as ESM and as CommonJS in the app's folder. */
async function typeCheck(app, folder) {
  const label = `${app.id} types`;
  try {
    await writeFile(join(folder, 'types.mts'), app.typeCheck);
    await writeFile(join(folder, 'types.cts'), app.typeCheck);
    const compilerOptions = { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, skipLibCheck: true, noEmit: true };
    await writeFile(join(folder, 'tsconfig.types.json'), `${JSON.stringify({ compilerOptions, files: ['types.mts', 'types.cts'] }, null, 2)}\n`);
    await run(process.execPath, [join(folder, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.types.json'], { cwd: folder, timeoutMs: 60_000 });
    return { label, ok: true, detail: 'packed typings: ESM and CJS compile, every @ts-expect-error met' };
  } catch (error) {
    failures.push(`${label}: ${error.message}`);
    return { label, ok: false, detail: error.message };
  }
}

/**
 * One folder per app kind, with one npm install; each runs its README snippet as ESM and CJS.
 * `readmes`: packages whose README `npm install` lines make up the install; the first one's
 * snippet is the app. `check` runs after the 429 (extra promises of that README).
 */
const APPS = [
  { id: 'express', readmes: ['@aurum/ratelimit-express'], lang: 'js', path: '/v1/scenarios', check: ({ url, tenant }) => checkAdmin(url, tenant) },
  {
    id: 'fastify',
    readmes: ['@aurum/ratelimit-fastify'],
    lang: 'js',
    path: '/v1/scenarios',
    check: ({ url, tenant }) => checkAdmin(url, tenant),
    typeCheck: FASTIFY_TYPES,
    requireCheck: FASTIFY_REQUIRE,
  },
  { id: 'koa', readmes: ['@aurum/ratelimit-koa'], lang: 'js', path: '/v1/scenarios', check: ({ url, tenant }) => checkAdmin(url, tenant) },
  { id: 'nestjs', readmes: ['@aurum/ratelimit-nestjs'], lang: 'ts', path: '/v1/reports/42', check: checkNest },
  { id: 'redis', readmes: ['@aurum/ratelimit-redis', '@aurum/ratelimit-express'], lang: 'js', path: '/v1/scenarios', redis: true, check: checkRedis },
  { id: 'prometheus', readmes: ['@aurum/ratelimit-prometheus', '@aurum/ratelimit-express'], lang: 'js', path: '/v1/scenarios', check: checkPrometheus },
];

async function checkNest({ url }) {
  const health = await http(`${url}/v1/health`, { headers: { 'x-tenant-id': 'nest-health' } });
  if (health.status !== 200 || health.headers.get('x-ratelimit-limit') !== null)
    throw new Error(`@SkipRateLimit() route answered ${health.status} with X-RateLimit-Limit ${health.headers.get('x-ratelimit-limit')}`);
  const exp = await http(`${url}/v1/exports`, { method: 'POST', headers: { 'x-tenant-id': 'nest-cost' } });
  if (exp.status !== 201 || exp.headers.get('x-ratelimit-remaining') !== '5')
    throw new Error(
      `@RateLimit({ cost: 5 }) route answered ${exp.status}, X-RateLimit-Remaining ${exp.headers.get('x-ratelimit-remaining')}, expected 201 and 5`,
    );
  return '@SkipRateLimit and cost 5 ok';
}

async function checkRedis({ tenant, redis }) {
  const { stdout } = await run('redis-cli', ['-p', String(redis.port), '--scan', '--pattern', `aurum:rl:{${tenant}}*`], { timeoutMs: 5_000 });
  const keys = stdout.split('\n').filter(Boolean);
  if (keys.length === 0) throw new Error(`no aurum:rl:{${tenant}}* keys in Redis: the app did not limit through Redis`);
  return `${keys.length} Redis key(s) for the tenant`;
}

async function checkPrometheus({ url, folder }) {
  const { METRIC_NAMES } = createRequire(join(folder, 'package.json'))('@aurum/ratelimit-prometheus');
  let res;
  for (let i = 0; i < 12; i++) {
    res = await http(`${url}/metrics`);
    if (res.status !== 200) throw new Error(`scrape ${i + 1} of /metrics answered ${res.status} (is it rate limited?)`);
  }
  const missing = Object.values(METRIC_NAMES).filter((name) => !res.text.includes(`# TYPE ${name} `));
  if (missing.length > 0) throw new Error(`/metrics lacks ${missing.join(', ')}`);
  if (!/^aurum_api_tenant_ratelimit_total\{result="limited",path="\/v1\/scenarios",tenant="other",tier="free"\} 1$/m.test(res.text)) {
    throw new Error(
      `/metrics does not count the 429:\n${res.text
        .split('\n')
        .filter((l) => l.startsWith('aurum_api_tenant_ratelimit_total'))
        .join('\n')}`,
    );
  }
  return `/metrics ok (${Object.keys(METRIC_NAMES).length} metrics)`;
}

/** Writes the folder: package.json from the README install lines, the ESM and CJS entries. */
async function prepare(app, packed, work) {
  const folder = join(work, app.id);
  await mkdir(folder, { recursive: true });
  const readmes = app.readmes.map((name) => {
    const tarball = packed.get(name);
    if (!tarball) throw new Error(`${name} was not packed`);
    return tarball.files.get('README.md')?.toString('utf8') ?? '';
  });
  const dependencies = {};
  for (const name of readmes.flatMap(installNames)) {
    if (name.startsWith('@aurum/')) {
      const tarball = packed.get(name);
      if (!tarball) throw new Error(`the README installs ${name}, which is not a published package`);
      dependencies[name] = `file:${tarball.file}`;
    } else {
      dependencies[name] = 'latest';
    }
  }
  // @types/node too, listed in `types` (since TypeScript 6 a project sees no @types package by
  // default): the README snippets read process.env.
  const devDependencies = app.lang === 'ts' || app.typeCheck ? { typescript: 'latest', '@types/node': 'latest' } : {};
  await writeFile(
    join(folder, 'package.json'),
    `${JSON.stringify({ name: `aurum-tarball-${app.id}`, version: '0.0.0', private: true, dependencies, devDependencies }, null, 2)}\n`,
  );
  const snippet = usageSnippet(readmes[0], app.lang);
  if (!snippet) throw new Error(`${app.readmes[0]}'s README has no \`\`\`${app.lang} snippet that starts a server`);
  const code = portFromEnv(snippet);
  if (app.lang === 'ts') {
    await writeFile(join(folder, 'app.mts'), code);
    await writeFile(join(folder, 'app.cts'), code);
    const tsconfig = {
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        experimentalDecorators: true,
        strict: true,
        types: ['node'],
        skipLibCheck: true,
        outDir: '.',
      },
      files: ['app.mts', 'app.cts'],
    };
    await writeFile(join(folder, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  } else {
    await writeFile(join(folder, 'app.mjs'), code);
    await writeFile(join(folder, 'app.cjs'), toCommonJs(code));
  }
  return { folder, dependencies };
}

async function install(app, folder) {
  const t0 = Date.now();
  await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: folder, timeoutMs: 180_000 });
  if (app.lang === 'ts')
    await run(process.execPath, [join(folder, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: folder, timeoutMs: 60_000 });
  return Date.now() - t0;
}

async function startRedis(work) {
  const port = await freePort();
  const dir = join(work, 'redis-data');
  await mkdir(dir, { recursive: true });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  children.add(child);
  const failed = new Promise((_, reject) =>
    child.once('error', (e) => reject(new Error(`redis-server could not start (${e.message}); install it (see scripts/ensure-redis.mjs)`))),
  );
  failed.catch(() => {});
  for (let i = 0; i < 100; i++) {
    const ping = await Promise.race([run('redis-cli', ['-p', String(port), 'ping'], { timeoutMs: 2_000 }).catch(() => ({ stdout: '' })), failed]);
    if (ping.stdout.trim() === 'PONG') return { port, url: `redis://127.0.0.1:${port}`, child };
    await sleep(50);
  }
  await stop(child);
  throw new Error('redis-server did not answer PING within 5 s');
}

async function runApp(app, folder, work, redis) {
  const results = [];
  // For the NestJS app, tsc compiled app.mts and app.cts to these.
  for (const [format, entry] of [
    ['ESM', 'app.mjs'],
    ['CJS', 'app.cjs'],
  ]) {
    const label = `${app.id} ${format}`;
    const tenant = `acme-${app.id}-${format.toLowerCase()}`;
    const env = { PORT: '0', ADMIN_TOKEN: 'tarball-admin-token', ...(redis && { REDIS_URL: redis.url }) };
    let started;
    try {
      started = await startApp(folder, entry, env, join(work, `${app.id}-${format.toLowerCase()}.log`));
      // The Redis snippet starts without waiting for the connection; let it connect.
      if (app.redis) await sleep(300);
      const burst = await driveTo429(started.url, app.path, 'GET', tenant);
      const extra = await app.check({ url: started.url, tenant, redis, folder });
      results.push({ label, ok: true, detail: `${burst}; ${extra}` });
    } catch (error) {
      results.push({ label, ok: false, detail: error.message });
      failures.push(`${label}: ${error.message}`);
    } finally {
      if (started) await stop(started.child);
    }
  }
  return results;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const work = await mkdtemp(join(tmpdir(), 'aurum-tarballs-'));
  if (!relative(root, work).startsWith('..')) throw new Error(`${work} is inside the workspace`);
  console.log(`Tarball test in ${work}`);
  let redis;
  const rows = [];
  const installs = new Map();
  try {
    const packed = await packAll(join(work, 'tarballs'));
    console.log(`packed ${packed.size} packages (${seconds()} s)`);
    await writeFile(join(work, 'report-port.cjs'), PRELOAD);

    // Installs run in parallel (npm's cache is safe to share); Redis starts meanwhile.
    const redisStart = startRedis(work).then(
      (r) => {
        redis = r;
      },
      (error) => {
        failures.push(`redis: ${error.message}`);
      },
    );
    const prepared = await Promise.all(
      APPS.map(async (app) => {
        try {
          const { folder } = await prepare(app, packed, work);
          const ms = await install(app, folder);
          console.log(`installed ${app.id} in ${(ms / 1000).toFixed(1)} s (${seconds()} s)`);
          installs.set(app.id, { folder, footprint: await footprint(folder), ms });
          if (app.typeCheck) rows.push(await typeCheck(app, folder));
          if (app.requireCheck) rows.push(await requireCheck(app, folder));
          return { app, folder };
        } catch (error) {
          failures.push(`${app.id}: ${error.message}`);
          rows.push({ label: `${app.id} ESM/CJS`, ok: false, detail: 'not installed' });
          return undefined;
        }
      }),
    );
    await redisStart;
    const ran = await Promise.all(
      prepared.filter(Boolean).map(({ app, folder }) => {
        if (app.redis && !redis) return [{ label: `${app.id} ESM/CJS`, ok: false, detail: 'no redis-server' }];
        return runApp(app, folder, work, app.redis ? redis : undefined);
      }),
    );
    rows.unshift(...ran.flat());
    report(packed, installs, rows);
  } finally {
    if (redis) await stop(redis.child);
    clearTimeout(deadline);
    if (failures.length === 0 && !keep) await rm(work, { recursive: true, force: true });
    else console.log(`\nKept ${work} (app logs: <app>-<esm|cjs>.log)`);
  }
}

function table(headers, body, align) {
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => (align[i] === 'r' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join(' | ')} |`;
  return [line(headers), `| ${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`, ...body.map(line)].join('\n');
}

function report(packed, installs, rows) {
  console.log('\nTarballs (pnpm pack)\n');
  const tarRows = [...packed.values()].map((p) => [p.manifest.name, p.manifest.version, p.files.size, kb(p.size), kb(p.unpacked)]);
  const sum = (i) => tarRows.reduce((s, r) => s + Number(r[i]), 0);
  tarRows.push(['total', '', sum(2), sum(3).toFixed(1), sum(4).toFixed(1)]);
  console.log(table(['package', 'version', 'files', 'packed KB', 'unpacked KB'], tarRows, ['l', 'l', 'r', 'r', 'r']));

  console.log('\nInstall footprint (npm install of the README line; runtime packages only, so not the TypeScript compiler)\n');
  const frameworks = { express: 'express', fastify: 'fastify', koa: 'koa', nestjs: '@nestjs/core', redis: 'ioredis', prometheus: 'prom-client' };
  const footRows = [];
  for (const app of APPS) {
    const entry = installs.get(app.id);
    if (!entry) continue;
    const f = entry.footprint;
    footRows.push([
      app.id,
      `${frameworks[app.id]}@${f.version(frameworks[app.id])}`,
      f.count,
      mb(f.size),
      `${f.aurumCount} (${f.aurumOnly.filter((n) => !n.startsWith('@aurum/')).join(', ') || 'only @aurum/*'})`,
      kb(f.aurumSize),
      (entry.ms / 1000).toFixed(1),
    ]);
  }
  console.log(
    table(['app', 'framework', 'packages', 'node_modules MB', 'added by Aurum: packages', 'added by Aurum KB', 'install s'], footRows, [
      'l',
      'l',
      'r',
      'r',
      'l',
      'r',
      'r',
    ]),
  );

  console.log('\nApps (README snippet on 127.0.0.1:0, driven to a 429, stopped by PID)\n');
  for (const row of rows) console.log(`${row.ok ? 'ok  ' : 'FAIL'} ${row.label.padEnd(16)} ${row.ok ? row.detail : row.detail.split('\n')[0]}`);
  if (notes.size > 0) console.log(`\nNotes (every package):\n${[...notes].map((n) => `- ${n}`).join('\n')}`);
}

try {
  await main();
} catch (error) {
  failures.push(error.stack ?? String(error));
}
const passed = failures.length === 0;
if (!passed) {
  console.error(`\n${failures.length} failure(s):`);
  for (const failure of failures) console.error(`\n- ${failure}`);
}
console.log(`\nTarball test ${passed ? 'passed' : 'FAILED'} in ${seconds()} s.`);
killAll();
process.exit(passed ? 0 : 1);
