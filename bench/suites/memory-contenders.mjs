// The in-process contenders of suite 1 (memory decisions/s and heap per key). Every contender
// is built for one scenario and exposes `op(key)` (a decision), `allowed(result)` and, for
// limiters that reject on denial, `isDenial(error)`. Each worker process runs exactly one, so
// call sites stay monomorphic for every contender alike.
import { createRequire } from 'node:module';
import { createRateLimitManager, MemoryStore } from '@aurum/ratelimit-core';
import { createPrometheusObserver } from '@aurum/ratelimit-prometheus';
import { MemoryStore as ErlMemoryStore } from 'express-rate-limit';
import { Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

const require = createRequire(import.meta.url);
// @fastify/rate-limit has no `exports` map; its local store is a plain module usable on its own.
const FastifyLocalStore = require('@fastify/rate-limit/store/LocalStore.js');

/** Scenarios: a limit that never denies during a run, or one that denies everything after the first call. */
export const SCENARIOS = {
  hot: { title: '1 hot key', keys: 1, deny: false },
  rotating: { title: '100 k rotating keys', keys: 100_000, deny: false },
  denied: { title: 'all denied (1 key over its limit)', keys: 1, deny: true },
};

// "Huge" limits: 1e6 tokens/s (the GCRA maximum) and a 1e9-token bucket, so a run of a few
// seconds at millions of decisions per second never empties a bucket.
const HUGE = { requestsPerSecond: 1e6, burstSize: 1e9, maxConcurrentRequests: 1e6 };
const TINY = { requestsPerSecond: 0.001, burstSize: 1, maxConcurrentRequests: 1 };
const WINDOW_MS = 3_600_000;

const STEMS = ['ent', 'prem', 'basic', 'acct'];
/** Tenant id number i: the ids hit every tier rule, the default tier and a few overrides (full manager path). */
export const tenantKey = (i) => `${STEMS[i & 3]}-${i}`;
const storeKey = (i) => `{t-${i}}:b`;
const plainKey = (i) => `t-${i}`;

function managerOptions(deny, extra = {}) {
  const q = deny ? TINY : HUGE;
  return {
    env: false,
    tiers: { free: q, basic: q, premium: q, enterprise: q },
    tierRules: [
      { pattern: 'ent-*', tier: 'enterprise' },
      { pattern: 'prem-*', tier: 'premium' },
      { pattern: /^basic-\d+$/, tier: 'basic' },
    ],
    // Overrides exist (and are consulted) for a handful of tenants.
    overrides: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`acct-${i * 4 + 3}`, { ...q, tier: 'premium' }])),
    load: { enabled: true }, // default signal: this process's event-loop utilisation
    ...extra,
  };
}

const allowedFlag = (r) => r.allowed;

/** name → { label, ours, kind, build(scenario) → { key(i), op(key), allowed(result), isDenial?(error), close?() } } */
export const CONTENDERS = {
  'aurum-manager': {
    label: 'Aurum RateLimitManager.checkRateLimit (tier rules, overrides, load factor on)',
    ours: true,
    kind: 'async',
    build(s) {
      const manager = createRateLimitManager(managerOptions(s.deny));
      return {
        key: tenantKey,
        op: (tenant) => manager.checkRateLimit(tenant, '/v1/items', { method: 'GET' }),
        allowed: allowedFlag,
        close: () => manager.close(),
      };
    },
  },
  'aurum-manager-sync': {
    label: 'Aurum RateLimitManager.checkRateLimitSync (the same path, no promise)',
    ours: true,
    kind: 'sync',
    build(s) {
      const manager = createRateLimitManager(managerOptions(s.deny));
      return {
        key: tenantKey,
        op: (tenant) => manager.checkRateLimitSync(tenant, '/v1/items', { method: 'GET' }),
        allowed: allowedFlag,
        close: () => manager.close(),
      };
    },
  },
  'aurum-manager-prom': {
    label: 'Aurum RateLimitManager + Prometheus observer',
    ours: true,
    kind: 'async',
    scenarios: ['hot'],
    build(s) {
      const manager = createRateLimitManager(managerOptions(s.deny, { observer: createPrometheusObserver({ registry: new Registry() }) }));
      return {
        key: tenantKey,
        op: (tenant) => manager.checkRateLimit(tenant, '/v1/items', { method: 'GET' }),
        allowed: allowedFlag,
        close: () => manager.close(),
      };
    },
  },
  'aurum-store': {
    label: 'Aurum MemoryStore.consume (bare store)',
    ours: true,
    kind: 'async',
    build(s) {
      const store = new MemoryStore();
      const policy = s.deny ? { rate: TINY.requestsPerSecond, burst: TINY.burstSize } : { rate: HUGE.requestsPerSecond, burst: HUGE.burstSize };
      return { key: storeKey, op: (key) => store.consume(key, policy, 1), allowed: allowedFlag, close: () => store.close() };
    },
  },
  'erl-memory': {
    label: 'express-rate-limit MemoryStore.increment',
    ours: false,
    kind: 'async',
    build(s) {
      const store = new ErlMemoryStore();
      store.init({ windowMs: WINDOW_MS });
      const limit = s.deny ? 1 : 1e9;
      return { key: plainKey, op: (key) => store.increment(key), allowed: (r) => r.totalHits <= limit, close: () => store.shutdown() };
    },
  },
  'rlf-memory': {
    label: 'rate-limiter-flexible RateLimiterMemory.consume',
    ours: false,
    kind: 'async',
    build(s) {
      const limiter = new RateLimiterMemory({ points: s.deny ? 1 : 1e9, duration: WINDOW_MS / 1000 });
      return { key: plainKey, op: (key) => limiter.consume(key, 1), allowed: () => true, isDenial: (e) => e instanceof RateLimiterRes };
    },
  },
  'fastify-local': {
    label: '@fastify/rate-limit LocalStore.incr (promise-wrapped, as the plugin calls it)',
    ours: false,
    kind: 'async',
    build(s) {
      // cache: the LRU size; 100 k so the rotating scenario keeps every key (the default is 5000).
      const store = new FastifyLocalStore(false, false, 100_000);
      const max = s.deny ? 1 : 1e9;
      const op = (key) => new Promise((resolve, reject) => store.incr(key, (err, res) => (err ? reject(err) : resolve(res)), WINDOW_MS, max));
      return { key: plainKey, op, allowed: (r) => r.current <= max };
    },
  },
  'bucket-async': {
    label: 'reference: hand-written token bucket (Map + arithmetic), async API',
    ours: false,
    reference: true,
    kind: 'async',
    build(s) {
      const bucket = tokenBucket(s.deny);
      return { key: plainKey, op: async (key) => bucket(key), allowed: (r) => r };
    },
  },
  'bucket-sync': {
    label: 'reference: hand-written token bucket (Map + arithmetic), sync API',
    ours: false,
    reference: true,
    kind: 'sync',
    build(s) {
      const bucket = tokenBucket(s.deny);
      return { key: plainKey, op: bucket, allowed: (r) => r };
    },
  },
};

/** The near-physical reference: one Map lookup, a clock read and a few flops per decision. */
function tokenBucket(deny) {
  const rate = deny ? 0.001 : 1e6; // tokens per second
  const burst = deny ? 1 : 1e9;
  const perMs = rate / 1000;
  const buckets = new Map();
  return (key) => {
    const now = Date.now();
    let b = buckets.get(key);
    if (b === undefined) {
      b = { tokens: burst, at: now };
      buckets.set(key, b);
    }
    const tokens = Math.min(burst, b.tokens + (now - b.at) * perMs);
    b.at = now;
    if (tokens >= 1) {
      b.tokens = tokens - 1;
      return true;
    }
    b.tokens = tokens;
    return false;
  };
}
