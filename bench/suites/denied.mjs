// Suite 4: denied-traffic cost. One abusive tenant sends 10× its limit through our adapters and
// the peers, all on Redis: Redis commands per request (INFO commandstats deltas over exactly the
// server's measured window) and server CPU per request.
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { log, parseArgs } from '../lib/args.mjs';
import { writeSuiteResult } from '../lib/output.mjs';
import { infoDelta, infoSnapshot } from '../lib/redis-info.mjs';
import { startRedis } from '../lib/redis-server.mjs';
import { median, sleep } from '../lib/stats.mjs';
import { startLoad, startServer } from './http-common.mjs';

export const DENIED_CONTENDERS = [
  { framework: 'express', variant: 'bare', store: 'none', label: 'Express, no limiter (reference)', reference: true },
  { framework: 'express', variant: 'ours', store: 'redis', label: 'Aurum Express middleware (Redis)', ours: true },
  { framework: 'express', variant: 'peer', store: 'redis', label: 'express-rate-limit + rate-limit-redis' },
  { framework: 'express', variant: 'peer-rlf', store: 'redis', label: 'rate-limiter-flexible RateLimiterRedis (Express middleware)' },
  { framework: 'fastify', variant: 'ours', store: 'redis', label: 'Aurum Fastify plugin (Redis)', ours: true },
  { framework: 'fastify', variant: 'peer', store: 'redis', label: '@fastify/rate-limit (Redis)' },
  { framework: 'koa', variant: 'ours', store: 'redis', label: 'Aurum Koa middleware (Redis)', ours: true },
  { framework: 'koa', variant: 'peer', store: 'redis', label: 'koa-ratelimit (Redis driver)' },
];

export async function deniedSuite({ quick }) {
  const config = quick
    ? { limit: 50, rate: 500, rounds: 1, connections: 8, warmMs: 200, durationMs: 400 }
    : { limit: 100, rate: 1000, rounds: 3, connections: 16, warmMs: 1000, durationMs: 1500 };
  const load = await startLoad();
  const servers = [];
  const tenants = ['abuser'];
  try {
    // One redis-server per contender: INFO deltas then count that contender's commands only
    // (our servers' background fleet polling would otherwise be billed to whoever is measured).
    for (const c of DENIED_CONTENDERS) {
      const redis = await startRedis();
      const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      servers.push({
        c,
        redis,
        admin,
        server: await startServer({ framework: c.framework, variant: c.variant, store: c.store, redisUrl: redis.url, limit: config.limit }),
        runs: [],
      });
    }
    for (let r = 0; r < config.rounds; r++) {
      const order = servers.map((_, i) => servers[(i + r) % servers.length]);
      for (const s of order) {
        // Between rounds the tenant's window/bucket refills; the warm-up burns that off first.
        const pending = load.request(
          { type: 'run', port: s.server.port, rate: config.rate, connections: config.connections, durationMs: config.warmMs + config.durationMs, tenants },
          60_000,
        );
        await sleep(config.warmMs);
        const before = await infoSnapshot(s.admin);
        await s.server.request({ type: 'start' });
        await sleep(config.durationMs - 40);
        const stats = await s.server.request({ type: 'stop' });
        const delta = infoDelta(before, await infoSnapshot(s.admin));
        const client = await pending;
        const total = Object.values(client.statuses).reduce((a, b) => a + b, 0);
        s.runs.push({
          cpuUsPerReq: stats.cpuUs / stats.requests,
          commandsPerReq: delta.calls / stats.requests,
          redisCpuUsPerReq: delta.cpuUs / stats.requests,
          commands: Object.fromEntries(Object.entries(delta.byCommand).map(([k, v]) => [k, v / stats.requests])),
          deniedShare: ((client.statuses['429'] ?? 0) + (client.statuses['503'] ?? 0)) / total,
          statuses: client.statuses,
          rps: (stats.requests / stats.wallMs) * 1000,
          p99us: client.p99us,
        });
      }
    }
  } finally {
    for (const s of servers) {
      await s.server.stop();
      s.admin.disconnect();
      await s.redis.stop();
    }
    await load.stop();
  }
  const rows = servers.map(({ c, runs }) => {
    const mid = runs.toSorted((a, b) => a.cpuUsPerReq - b.cpuUsPerReq)[runs.length >> 1];
    const row = {
      ...c,
      ours: c.ours === true,
      reference: c.reference === true,
      cpuUsPerReq: median(runs.map((x) => x.cpuUsPerReq)),
      commandsPerReq: median(runs.map((x) => x.commandsPerReq)),
      redisCpuUsPerReq: median(runs.map((x) => x.redisCpuUsPerReq)),
      commandBreakdown: Object.fromEntries(
        Object.entries(mid.commands)
          .filter(([, v]) => v >= 0.005)
          .map(([k, v]) => [k, Math.round(v * 100) / 100]),
      ),
      deniedShare: median(runs.map((x) => x.deniedShare)),
      rps: median(runs.map((x) => x.rps)),
      p99us: median(runs.map((x) => x.p99us)),
      runs: runs.map((x) => Math.round(x.cpuUsPerReq * 10) / 10),
    };
    log(
      `  denied ${c.label}: ${row.cpuUsPerReq.toFixed(1)} µs CPU/req, ${row.commandsPerReq.toFixed(2)} Redis cmds/req, denied ${(row.deniedShare * 100).toFixed(0)}%`,
    );
    return row;
  });
  return { suite: 'denied', config, rows };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs();
  await writeSuiteResult(args.out, await deniedSuite(args));
  process.exit(0);
}
