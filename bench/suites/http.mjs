// Suite 3: HTTP cost per request for Express, Fastify, Koa and NestJS — bare, with our adapter,
// with the framework's peer limiter, on memory and Redis stores. Headline: SERVER CPU time per
// request at a fixed offered rate below saturation, servers in their own processes, variants
// interleaved over rounds. Secondary: latency at that rate and closed-loop max req/s.
import { fileURLToPath } from 'node:url';
import { log, parseArgs } from '../lib/args.mjs';
import { writeSuiteResult } from '../lib/output.mjs';
import { startRedis } from '../lib/redis-server.mjs';
import { median } from '../lib/stats.mjs';
import { measureAtRate, measureMax, startLoad, startServer } from './http-common.mjs';

export const PEERS = { express: 'express-rate-limit', fastify: '@fastify/rate-limit', koa: 'koa-ratelimit', nestjs: '@nestjs/throttler' };
export const PEER_REDIS = { express: 'express-rate-limit + rate-limit-redis', fastify: '@fastify/rate-limit (redis)', koa: 'koa-ratelimit (redis driver)' };

/** Variants per framework: [variant, store]. */
function variantsOf(framework) {
  const list = [
    ['bare', 'none'],
    ['ours', 'memory'],
    ['peer', 'memory'],
    ['ours', 'redis'],
  ];
  if (PEER_REDIS[framework]) list.push(['peer', 'redis']);
  if (framework === 'express') list.push(['ours-noconc', 'memory'], ['ours-noconc', 'redis']);
  return list;
}

export async function httpSuite({ quick, only }) {
  const config = quick
    ? { rounds: 1, load: 0.3, minRate: 200, maxRate: 1000, connections: 16, warmMs: 150, durationMs: 400, maxMs: 300, jitWarmMs: 300 }
    : { rounds: 6, load: 0.4, minRate: 300, maxRate: 3000, connections: 16, warmMs: 250, durationMs: 750, maxMs: 1000, jitWarmMs: 1500 };
  const frameworks = (only ?? ['express', 'fastify', 'koa', 'nestjs']).filter((f) => f in PEERS);
  const tenants = Array.from({ length: config.connections }, (_, c) => `tenant-${c}`);
  const redis = await startRedis();
  const load = await startLoad();
  const rows = [];
  const rates = {};
  const unavailable = [
    { framework: 'nestjs', variant: 'peer', store: 'redis', why: '@nestjs/throttler ships no Redis storage and none is pinned in bench/package.json' },
  ];
  try {
    for (const framework of frameworks) {
      const servers = [];
      try {
        for (const [variant, store] of variantsOf(framework)) {
          servers.push(await startServer({ framework, variant, store, redisUrl: redis.url }));
        }
        const runs = new Map(servers.map((s) => [s, []]));
        // An untimed closed-loop pass warms every server (JIT needs a few thousand requests); a
        // second, warm one gives "max req/s" and tells how fast the slowest variant of this
        // framework goes: the offered rate is a fixed share of that, the same for every variant
        // of the framework, so none is near saturation.
        for (const s of servers) await measureMax(load, s, { connections: config.connections, durationMs: config.jitWarmMs, tenants });
        const maxOf = new Map();
        for (const s of servers) maxOf.set(s, (await measureMax(load, s, { connections: config.connections, durationMs: config.maxMs, tenants })).maxRps);
        const slowest = Math.min(...maxOf.values());
        const rate = Math.min(config.maxRate, Math.max(config.minRate, Math.floor((config.load * slowest) / 100) * 100));
        rates[framework] = rate;
        log(`  http ${framework}: slowest variant ${Math.round(slowest)} req/s closed-loop; offering ${rate} req/s`);
        for (let r = 0; r < config.rounds; r++) {
          const order = servers.map((_, i) => servers[(i + r) % servers.length]);
          for (const s of order) runs.get(s).push(await measureAtRate(load, s, { ...config, rate, tenants }));
        }
        for (const s of servers) {
          const list = runs.get(s);
          const statuses = {};
          for (const x of list) for (const [k, v] of Object.entries(x.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
          const row = {
            framework,
            rate,
            variant: s.spec.variant,
            store: s.spec.store,
            cpuUsPerReq: median(list.map((x) => x.cpuUsPerReq)),
            // In round order: the report pairs each round with the same round of other variants.
            runs: list.map((x) => Math.round(x.cpuUsPerReq * 10) / 10),
            rps: median(list.map((x) => x.serverRps)),
            p50us: median(list.map((x) => x.p50us)),
            p99us: median(list.map((x) => x.p99us)),
            lateShare: Math.max(...list.map((x) => x.lateShare)),
            serverCpuShare: median(list.map((x) => x.serverCpuShare)),
            maxRps: maxOf.get(s),
            statuses,
          };
          rows.push(row);
          log(
            `  http ${framework} ${row.variant}/${row.store}: ${row.cpuUsPerReq.toFixed(1)} µs CPU/req, ${Math.round(row.rps)} req/s, p99 ${Math.round(row.p99us)} µs, max ${Math.round(row.maxRps)} req/s ${JSON.stringify(statuses)}`,
          );
        }
      } finally {
        for (const s of servers) await s.stop();
      }
    }
  } finally {
    await load.stop();
    await redis.stop();
  }
  return { suite: 'http', config, rates, rows, unavailable };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs();
  await writeSuiteResult(args.out, await httpSuite(args));
  process.exit(0);
}
