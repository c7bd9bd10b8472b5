// The "legacy" path: an app with ONE global limit for all traffic keeps that behaviour.
// No tenant headers are read and every request shares one anonymous bucket, so the limit is the
// app's total, exactly like a single global limiter. Move to per-tenant limits later by
// removing `tenantHeaders: []` and `anonymous: 'shared'`.
import { createRateLimitMiddleware } from '@aurum/ratelimit-express';
import express from 'express';

export function createApp(requestsPerSecond = 50, burst = 100) {
  const app = express();
  app.use(
    createRateLimitMiddleware({
      tenantHeaders: [],
      anonymous: 'shared',
      tiers: { free: { requestsPerSecond, burstSize: burst } },
      concurrency: false,
    }),
  );
  app.get('/v1/items', (_req, res) => res.json([]));
  return app;
}
