// Suite 2: Redis decisions/s and p50/p99 latency at concurrency 1 and 64 over ONE connection,
// ioredis auto-pipelining on and off, rounds interleaved across contenders; Redis commands and
// server CPU per decision from INFO deltas; `redis-benchmark -t incr` as the server's own limit.
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { log, parseArgs } from '../lib/args.mjs';
import { run } from '../lib/child.mjs';
import { runFor } from '../lib/concurrent.mjs';
import { writeSuiteResult } from '../lib/output.mjs';
import { infoSnapshot, infoDelta } from '../lib/redis-info.mjs';
import { startRedis } from '../lib/redis-server.mjs';
import { median } from '../lib/stats.mjs';
import { REDIS_CONTENDERS } from './redis-contenders.mjs';

export const CLIENT_OPTIONS = { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true };

export async function redisSuite({ quick }) {
  const config = quick
    ? { rounds: 1, durationMs: 150, warmMs: 100, keys: 1000, concurrencies: [1, 64], benchmarkRequests: 20_000 }
    : { rounds: 5, durationMs: 600, warmMs: 300, keys: 1000, concurrencies: [1, 64], benchmarkRequests: 200_000 };
  const redis = await startRedis();
  const admin = new Redis(redis.url, CLIENT_OPTIONS);
  await admin.connect();
  const cells = [];
  try {
    for (const pipelining of [true, false]) {
      const built = [];
      for (const [id, c] of Object.entries(REDIS_CONTENDERS)) {
        const client = new Redis(redis.url, { ...CLIENT_OPTIONS, enableAutoPipelining: pipelining });
        await client.connect();
        built.push({ id, c, client, impl: await c.build(client, config.keys) });
      }
      for (const b of built) await runFor(b.impl.op, { concurrency: 64, durationMs: config.warmMs, classify: b.impl.classify, isDenial: b.impl.isDenial });
      for (const concurrency of config.concurrencies) {
        const runs = new Map(built.map((b) => [b.id, []]));
        for (let r = 0; r < config.rounds; r++) {
          const order = built.map((_, i) => built[(i + r) % built.length]);
          for (const b of order) {
            const before = await infoSnapshot(admin);
            const result = await runFor(b.impl.op, { concurrency, durationMs: config.durationMs, classify: b.impl.classify, isDenial: b.impl.isDenial });
            const delta = infoDelta(before, await infoSnapshot(admin));
            if (result.errors) throw new Error(`${b.id}: ${result.errors} errors, first: ${result.firstError}`);
            runs.get(b.id).push({ ...result, commandsPerOp: delta.calls / result.ops, redisCpuUsPerOp: delta.cpuUs / result.ops, commands: delta.byCommand });
          }
        }
        for (const b of built) {
          const list = runs.get(b.id);
          const mid = list.toSorted((x, y) => x.opsPerSec - y.opsPerSec)[list.length >> 1];
          const perOp = Object.fromEntries(
            Object.entries(mid.commands)
              .map(([k, v]) => [k, Math.round((v / mid.ops) * 100) / 100])
              .filter(([, v]) => v >= 0.01)
              .sort((a, b) => b[1] - a[1]),
          );
          cells.push({
            id: b.id,
            label: b.c.label,
            ours: b.c.ours,
            reference: b.c.reference === true,
            pipelining,
            concurrency,
            opsPerSec: median(list.map((x) => x.opsPerSec)),
            runs: list.map((x) => Math.round(x.opsPerSec)),
            p50us: median(list.map((x) => x.p50us)),
            p99us: median(list.map((x) => x.p99us)),
            commandsPerOp: median(list.map((x) => x.commandsPerOp)),
            commandBreakdown: perOp,
            redisCpuUsPerOp: median(list.map((x) => x.redisCpuUsPerOp)),
            allowedShare: median(list.map((x) => x.allowedShare)),
          });
          log(
            `  redis pipe=${pipelining} c=${concurrency} ${b.id}: ${Math.round(cells.at(-1).opsPerSec).toLocaleString('en-US')}/s p99 ${cells.at(-1).p99us.toFixed(0)} µs`,
          );
        }
      }
      for (const b of built) {
        await b.impl.close?.();
        b.client.disconnect();
      }
    }
    const redisBenchmark = await serverLimit(redis.port, config.benchmarkRequests);
    return { suite: 'redis', config, redisVersion: await serverVersion(admin), cells, redisBenchmark };
  } finally {
    admin.disconnect();
    await redis.stop();
  }
}

/** `redis-benchmark -t incr` on one connection (unpipelined and 64 deep) and on 64 connections. */
async function serverLimit(port, requests) {
  const shapes = [
    { clients: 1, pipeline: 1 },
    { clients: 1, pipeline: 64 },
    { clients: 64, pipeline: 1 },
  ];
  const out = [];
  for (const { clients, pipeline } of shapes) {
    const n = clients === 1 && pipeline === 1 ? Math.round(requests / 4) : requests;
    const csv = await run('redis-benchmark', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-t',
      'incr',
      '-n',
      String(n),
      '-c',
      String(clients),
      '-P',
      String(pipeline),
      '--csv',
    ]);
    const lines = csv.trim().split('\n');
    const header = lines[0].replaceAll('"', '').split(',');
    const row = lines
      .find((l) => l.startsWith('"INCR"'))
      .replaceAll('"', '')
      .split(',');
    const get = (name) => Number(row[header.indexOf(name)]);
    out.push({ clients, pipeline, requests: n, opsPerSec: get('rps'), p50us: get('p50_latency_ms') * 1000, p99us: get('p99_latency_ms') * 1000 });
    log(`  redis-benchmark -t incr -c ${clients} -P ${pipeline}: ${get('rps').toLocaleString('en-US')}/s`);
  }
  return out;
}

async function serverVersion(client) {
  const info = await client.info('server');
  return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs();
  await writeSuiteResult(args.out, await redisSuite(args));
  process.exit(0);
}
