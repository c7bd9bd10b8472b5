import { createRateLimitMiddleware } from '@aurum/ratelimit-express';
import { createRedisStoreFromUrl } from '@aurum/ratelimit-redis';
import express from 'express';

/**
 * Every instance of this app shares its limits through Redis. If Redis dies or hangs, the
 * circuit breaker opens within a few failed calls and each instance limits from memory with
 * 1/instances of every quota, until Redis answers again.
 */
export function createApp({ redisUrl = process.env.AURUM_API_CACHE_REDIS_URL ?? 'redis://127.0.0.1:6379', ...options } = {}) {
  const app = express();
  const limiter = createRateLimitMiddleware({
    store: createRedisStoreFromUrl(redisUrl),
    fallbackShare: Number(process.env.INSTANCES ?? 1),
    tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }],
    admin: { token: process.env.AURUM_API_RATE_LIMIT_ADMIN_TOKEN ?? 'demo-admin-token' },
    ...options,
  });
  app.use(limiter);
  app.get('/v1/scenarios', (_req, res) => res.json({ scenarios: [] }));
  return { app, limiter };
}
