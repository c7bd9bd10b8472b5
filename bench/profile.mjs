// CPU profiles (node --cpu-prof) of our hot paths, summarised as the functions with the most
// self time (and inclusive time for our own functions), mapped back to packages/*/src through
// the dist source maps. Not part of `pnpm bench` (profiling slows what it measures).
//   node bench/profile.mjs [memory|redis|degraded|express|fastify|koa|nestjs[:bare|:peer] ...]
// (a framework: its server with our adapter, memory and Redis stores, under closed-loop load)
// Writes bench/results/profiles/*.cpuprofile (open them in Chrome DevTools) and summary.md.
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runNodeJson, startNodeChild } from './lib/child.mjs';
import { REPO } from './lib/output.mjs';
import { startRedis } from './lib/redis-server.mjs';
import { sleep } from './lib/stats.mjs';
import { startLoad } from './suites/http-common.mjs';

const OUT = join(REPO, 'bench', 'results', 'profiles');
const worker = fileURLToPath(new URL('./suites/memory-worker.mjs', import.meta.url));
const redisWorker = fileURLToPath(new URL('./suites/profile-redis-worker.mjs', import.meta.url));
const serverScript = fileURLToPath(new URL('./suites/http-server.mjs', import.meta.url));
const wanted = process.argv.slice(2);
const want = (name) => wanted.length === 0 || wanted.includes(name);

mkdirSync(OUT, { recursive: true });
const profiles = [];

async function profileNode(name, args, opts = {}) {
  const dir = join(OUT, name);
  rmSync(dir, { recursive: true, force: true });
  await runNodeJson(args, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], timeoutMs: 120_000, ...opts });
  profiles.push({ name, file: latest(dir) });
}

function latest(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no profile in ${dir}`);
  return join(dir, files.sort().at(-1));
}

if (want('memory')) {
  await profileNode('memory-manager-hot', [worker, 'run', 'aurum-manager', 'hot', 3_000_000, 3000, 300]);
  await profileNode('memory-manager-rotating', [worker, 'run', 'aurum-manager', 'rotating', 300_000, 3000, 300]);
  await profileNode('memory-manager-denied', [worker, 'run', 'aurum-manager', 'denied', 3_000_000, 3000, 300]);
  await profileNode('memory-store-rotating', [worker, 'run', 'aurum-store', 'rotating', 3_000_000, 3000, 300]);
}
if (want('redis') || want('degraded')) {
  const redis = await startRedis();
  try {
    if (want('redis')) await profileNode('redis-manager-c64', [redisWorker, redis.url, 'healthy', '4000']);
    if (want('redis')) await profileNode('redis-store-c64', [redisWorker, redis.url, 'store', '4000']);
    if (want('degraded')) await profileNode('degraded-open-c64', [redisWorker, redis.url, 'open', '4000']);
  } finally {
    await redis.stop();
  }
}
// `express` profiles our adapter; `express:bare` and `express:peer` the framework alone and with its
// peer limiter, to tell their cost from ours.
const FRAMEWORKS = ['express', 'fastify', 'koa', 'nestjs'];
const servers = wanted.length === 0 ? FRAMEWORKS : wanted.filter((w) => FRAMEWORKS.includes(w.split(':')[0]));
if (servers.length > 0) {
  const redis = await startRedis();
  const load = await startLoad();
  try {
    for (const wish of servers) {
      const [framework, variant = 'ours'] = wish.split(':');
      const stores = variant === 'bare' ? ['none'] : variant === 'peer' && framework === 'nestjs' ? ['memory'] : ['memory', 'redis'];
      for (const store of stores) {
        const name = `${framework}-${variant}-${store}`;
        const dir = join(OUT, name);
        rmSync(dir, { recursive: true, force: true });
        const server = startNodeChild(serverScript, [JSON.stringify({ framework, variant, store, redisUrl: redis.url })], {
          nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
        });
        const { port } = await server.ready;
        const tenants = Array.from({ length: 16 }, (_, c) => `tenant-${c}`);
        // Closed loop: the profile should be dominated by request work, not idle time.
        const run = await load.request({ type: 'run', port, rate: 1e7, connections: 16, durationMs: 5000, tenants }, 60_000);
        await server.request({ type: 'close' }).catch(() => {});
        await server.stop();
        await sleep(200);
        profiles.push({ name, file: latest(dir), requests: run.completed });
      }
    }
  } finally {
    await load.stop();
    await redis.stop();
  }
}

const maps = new Map();
function sourceMapFor(url) {
  if (maps.has(url)) return maps.get(url);
  let map;
  try {
    const file = fileURLToPath(url.startsWith('file:') ? url : `file://${url}`);
    if (existsSync(`${file}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
  } catch {}
  maps.set(url, map);
  return map;
}

/** "function (packages/core/src/x.ts:12)" for our code, "function (node_modules/pkg/file.js:3)" otherwise. */
function where(frame) {
  const fn = frame.functionName || '(anonymous)';
  if (!frame.url) return fn;
  const map = sourceMapFor(frame.url);
  if (map && frame.url.includes('/packages/')) {
    const entry = map.findEntry(frame.lineNumber, frame.columnNumber);
    if (entry?.originalSource) {
      const dist = fileURLToPath(frame.url.startsWith('file:') ? frame.url : `file://${frame.url}`);
      const src = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : resolve(dirname(dist), entry.originalSource);
      return `${fn} (${relative(REPO, src)}:${entry.originalLine + 1})`;
    }
  }
  let path = frame.url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  path = nm >= 0 ? path.slice(nm) : path.startsWith('/') ? relative(REPO, path) : path;
  return `${fn} (${path}:${frame.lineNumber + 1})`;
}

function summarise(file, requests) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const dt = prof.timeDeltas[i] ?? 0;
    const node = nodes.get(prof.samples[i]);
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    total += dt;
    const key = where(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const k = where(nodes.get(id).callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  }
  // With a request count, also µs per request: comparable across runs, where shares are not.
  const pct = (v) => `${((100 * v) / total).toFixed(1)} %${requests ? ` (${(v / requests).toFixed(2)} µs/req)` : ''}`;
  // Self time by owner: our packages, each node_modules package, Node internals, GC, other.
  const owners = new Map();
  for (const [k, v] of self) {
    const m = /\((packages\/[^/]+)\/|\(node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(k);
    let owner = 'other';
    if (k.startsWith('(garbage')) owner = 'GC';
    else if (k.startsWith('(program')) owner = '(program)';
    else if (m) owner = m[1] ?? m[2];
    else if (k.includes('(bench/')) owner = 'bench harness';
    else if (k.includes('(node:') || !k.includes(' (')) owner = 'node internals / native';
    owners.set(owner, (owners.get(owner) ?? 0) + v);
  }
  const topSelf = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25);
  const ours = [...inclusive]
    .filter(([k]) => k.includes('packages/'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15);
  return {
    total,
    idle,
    owners: [...owners].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${pct(v)}`),
    topSelf: topSelf.map(([k, v]) => [k, pct(v)]),
    oursInclusive: ours.map(([k, v]) => [k, pct(v)]),
  };
}

const md = [
  '# CPU profiles of the hot paths',
  '',
  `Generated by \`node bench/profile.mjs\` on ${new Date().toISOString()}. Shares are of non-idle samples.`,
  '',
];
for (const { name, file, requests } of profiles) {
  const s = summarise(file, requests);
  const served = requests ? `, ${requests} requests served under load (µs/req: a function's samples per request; busy time includes start-up)` : '';
  md.push(`## ${name}`, '', `\`${relative(REPO, file)}\` — ${(s.total / 1e6).toFixed(2)} s busy, ${(s.idle / 1e6).toFixed(2)} s idle${served}`, '');
  md.push(`Self time by owner: ${s.owners.join(', ')}`, '');
  md.push('Self time:', '', '| share | function (source) |', '| --: | :-- |', ...s.topSelf.map(([k, v]) => `| ${v} | ${k} |`), '');
  md.push(
    'Inclusive time, our code (a middleware that calls `next()` synchronously includes everything downstream):',
    '',
    '| share | function (source) |',
    '| --: | :-- |',
    ...s.oursInclusive.map(([k, v]) => `| ${v} | ${k} |`),
    '',
  );
}
writeFileSync(join(OUT, 'summary.md'), `${md.join('\n')}\n`);
console.log(md.join('\n'));
process.exit(0);
