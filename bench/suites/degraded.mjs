// Suite 5: degraded mode. Manager decisions/s and latency with a healthy Redis, with the breaker
// OPEN (memory fallback; the store points at a closed port, so even a probe fails fast), and
// while Redis is SIGSTOPped (calls time out until the breaker opens), against the same manager
// on the in-process memory store. Concurrency 64, like suite 2.
import { fileURLToPath } from 'node:url';
import { createRateLimitManager } from '@aurum/ratelimit-core';
import { createRedisStoreFromUrl } from '@aurum/ratelimit-redis';
import { log, parseArgs } from '../lib/args.mjs';
import { runFor } from '../lib/concurrent.mjs';
import { writeSuiteResult } from '../lib/output.mjs';
import { freePort, startRedis } from '../lib/redis-server.mjs';
import { median, sleep } from '../lib/stats.mjs';

// Every mode runs the same harness: 64 loops, each yielding to the event loop every 16 calls.
const HUGE = { requestsPerSecond: 1e6, burstSize: 1e9, maxConcurrentRequests: 1e6 };
const options = { env: false, tiers: { free: HUGE, basic: HUGE, premium: HUGE, enterprise: HUGE } };
const TENANTS = Array.from({ length: 1000 }, (_, i) => `t-${i}`);

export const MODES = {
  memory: 'memory store (no Redis)',
  healthy: 'Redis healthy',
  open: 'breaker OPEN (memory fallback)',
  sigstop: 'Redis SIGSTOPped (timeouts until the breaker opens)',
};

function measure(manager, concurrency, durationMs) {
  const sources = {};
  const classify = (d) => {
    const s = d.metadata.source;
    sources[s] = (sources[s] ?? 0) + 1;
    return d.allowed;
  };
  // yieldEvery: let timers run (the store timeout) as they would between requests in a server.
  return runFor((i) => manager.checkRateLimit(TENANTS[i % 1000], '/v1/items', { method: 'GET' }), { concurrency, durationMs, classify, yieldEvery: 16 }).then(
    (r) => {
      const total = Object.values(sources).reduce((a, b) => a + b, 0);
      return { ...r, sources: Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, v / total])) };
    },
  );
}

export async function degradedSuite({ quick }) {
  const config = quick ? { rounds: 1, durationMs: 200, warmMs: 100, concurrency: 64 } : { rounds: 5, durationMs: 1000, warmMs: 500, concurrency: 64 };
  const redis = await startRedis();
  const closedPort = await freePort();
  const memory = createRateLimitManager(options);
  const healthy = createRateLimitManager({ ...options, store: createRedisStoreFromUrl(redis.url) });
  await healthy.store.primary.waitForConnection();
  await healthy.ready;
  const open = createRateLimitManager({ ...options, store: createRedisStoreFromUrl(`redis://127.0.0.1:${closedPort}`) });
  // Past the cold start (the first connection error ends it), then force the breaker open.
  for (let i = 0; i < 100 && open.store.primary.isStarting(); i++) await sleep(10);
  await open.ready;
  open.breaker.open('benchmark');
  const fixed = { memory, healthy, open };
  const runs = { memory: [], healthy: [], open: [], sigstop: [] };
  try {
    for (const m of Object.values(fixed)) await measure(m, config.concurrency, config.warmMs);
    for (let r = 0; r < config.rounds; r++) {
      const names = Object.keys(fixed);
      for (const name of names.map((_, i) => names[(i + r) % names.length])) runs[name].push(await measure(fixed[name], config.concurrency, config.durationMs));
      // A fresh manager each round: its breaker starts CLOSED, so the window covers the
      // timeouts that open it and the fallback after.
      const stopped = createRateLimitManager({ ...options, store: createRedisStoreFromUrl(redis.url) });
      await stopped.store.primary.waitForConnection();
      await stopped.ready;
      await measure(stopped, config.concurrency, config.warmMs);
      redis.signal('SIGSTOP');
      try {
        runs.sigstop.push(await measure(stopped, config.concurrency, config.durationMs));
      } finally {
        redis.signal('SIGCONT');
      }
      await stopped.close();
    }
  } finally {
    redis.signal('SIGCONT');
    await Promise.all([memory.close(), healthy.close(), open.close()]);
    await redis.stop();
  }
  const rows = Object.entries(runs).map(([mode, list]) => {
    const row = {
      mode,
      label: MODES[mode],
      concurrency: config.concurrency,
      opsPerSec: median(list.map((x) => x.opsPerSec)),
      runs: list.map((x) => Math.round(x.opsPerSec)),
      p50us: median(list.map((x) => x.p50us)),
      p99us: median(list.map((x) => x.p99us)),
      maxUs: median(list.map((x) => x.maxUs)),
      allowedShare: median(list.map((x) => x.allowedShare)),
      sources: list[list.length >> 1].sources,
      errors: list.reduce((a, x) => a + x.errors, 0),
    };
    log(
      `  degraded ${mode}: ${Math.round(row.opsPerSec).toLocaleString('en-US')}/s p99 ${row.p99us.toFixed(0)} µs max ${row.maxUs.toFixed(0)} µs ${JSON.stringify(row.sources)}`,
    );
    return row;
  });
  return { suite: 'degraded', config, rows };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs();
  await writeSuiteResult(args.out, await degradedSuite(args));
  process.exit(0);
}
