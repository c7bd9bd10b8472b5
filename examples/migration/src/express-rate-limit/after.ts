// After: Aurum. 100 requests per minute becomes a token bucket: 100 back to back, refilling at
// 100/60 per second; tenants come from X-Tenant-ID, requests without one are limited per address.
import { createRateLimitMiddleware } from '@aurum/ratelimit-express';
import { createRedisStore } from '@aurum/ratelimit-redis';
import express from 'express';
import type { Redis } from 'ioredis';

export function createApp(client?: Redis) {
  const app = express();
  app.use(
    createRateLimitMiddleware({
      tiers: { free: { requestsPerSecond: 100 / 60, burstSize: 100 } },
      skip: (req) => req.path === '/health',
      ...(client && { store: createRedisStore({ client }) }),
    }),
  );
  app.get('/v1/items', (_req, res) => res.json([]));
  return app;
}
