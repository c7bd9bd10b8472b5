// Redis contenders (suite 2, and the degraded-mode suite's healthy baseline). Each is built on
// ONE ioredis connection it is handed, and exposes `op(i)` (one decision on tenant i % keys).
import { createRequire } from 'node:module';
import { createRateLimitManager } from '@aurum/ratelimit-core';
import { RedisStore } from '@aurum/ratelimit-redis';
import { RedisStore as RateLimitRedisStore } from 'rate-limit-redis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

const require = createRequire(import.meta.url);
const FastifyRedisStore = require('@fastify/rate-limit/store/RedisStore.js');

const HUGE = { requestsPerSecond: 1e6, burstSize: 1e9, maxConcurrentRequests: 1e6 };
const WINDOW_MS = 3_600_000;

/** The reference: a minimal token bucket in Lua on the server's clock (TIME), one EVALSHA. */
export const TOKEN_BUCKET_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate / 1000000)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return allowed
`;

export const REDIS_CONTENDERS = {
  'aurum-store': {
    label: 'Aurum RedisStore.consume',
    ours: true,
    async build(client, keys) {
      const store = new RedisStore({ client, fleet: false });
      const policy = { rate: HUGE.requestsPerSecond, burst: HUGE.burstSize };
      const names = keyList(keys, (i) => `{t-${i}}:b`);
      return { op: (i) => store.consume(names[i % keys], policy, 1), classify: (r) => r.allowed, close: () => store.close() };
    },
  },
  'aurum-manager': {
    label: 'Aurum RateLimitManager + RedisStore (breaker, timeout, fallback; defaults)',
    ours: true,
    async build(client, keys) {
      const manager = createRateLimitManager({
        env: false,
        store: new RedisStore({ client }),
        tiers: { free: HUGE, basic: HUGE, premium: HUGE, enterprise: HUGE },
      });
      await manager.ready;
      const names = keyList(keys, (i) => `t-${i}`);
      return {
        op: (i) => manager.checkRateLimit(names[i % keys], '/v1/items', { method: 'GET' }),
        classify: (r) => r.allowed && r.metadata.source === 'primary',
        close: () => manager.close(),
      };
    },
  },
  'rlf-redis': {
    label: 'rate-limiter-flexible RateLimiterRedis.consume',
    ours: false,
    async build(client, keys) {
      const limiter = new RateLimiterRedis({ storeClient: client, points: 1e9, duration: WINDOW_MS / 1000 });
      const names = keyList(keys, (i) => `t-${i}`);
      return { op: (i) => limiter.consume(names[i % keys], 1), classify: () => true, isDenial: (e) => e instanceof RateLimiterRes };
    },
  },
  'erl-rlr': {
    label: 'express-rate-limit + rate-limit-redis (store.increment)',
    ours: false,
    async build(client, keys) {
      const store = new RateLimitRedisStore({ sendCommand: (...args) => client.call(...args) });
      store.init({ windowMs: WINDOW_MS });
      const names = keyList(keys, (i) => `t-${i}`);
      return { op: (i) => store.increment(names[i % keys]), classify: (r) => r.totalHits <= 1e9 };
    },
  },
  'fastify-redis': {
    label: '@fastify/rate-limit RedisStore.incr (promise-wrapped, as the plugin calls it)',
    ours: false,
    async build(client, keys) {
      const store = new FastifyRedisStore(false, false, client, 'frl-');
      const names = keyList(keys, (i) => `t-${i}`);
      const op = (i) => new Promise((resolve, reject) => store.incr(names[i % keys], (err, res) => (err ? reject(err) : resolve(res)), WINDOW_MS, 1e9));
      return { op, classify: (r) => r.current <= 1e9 };
    },
  },
  'lua-ref': {
    label: 'reference: minimal token-bucket Lua with TIME (bare client.evalsha)',
    ours: false,
    reference: true,
    async build(client, keys) {
      const sha = await client.script('LOAD', TOKEN_BUCKET_LUA);
      const names = keyList(keys, (i) => `ref:t-${i}`);
      return { op: (i) => client.evalsha(sha, 1, names[i % keys], 1e6, 1e9), classify: (r) => r === 1 };
    },
  },
};

function keyList(n, make) {
  return Array.from({ length: n }, (_, i) => make(i));
}
