import { createRateLimitMiddleware } from '@aurum/ratelimit-express';
import express from 'express';

/**
 * The demo app. Tenants come from the X-Tenant-ID header; ids starting with `ent-` are
 * enterprise, `prem-` premium, `basic-` basic, everything else free. Requests without a tenant
 * are limited per client address.
 */
export function createApp(options = {}) {
  const app = express();
  const limiter = createRateLimitMiddleware({
    tierRules: [
      { pattern: 'ent-*', tier: 'enterprise' },
      { pattern: 'prem-*', tier: 'premium' },
      { pattern: 'basic-*', tier: 'basic' },
    ],
    // Exports are expensive: they cost 5 tokens.
    routes: [{ path: '/v1/exports', method: 'POST', cost: 5 }],
    admin: { token: process.env.AURUM_API_RATE_LIMIT_ADMIN_TOKEN ?? 'demo-admin-token' },
    ...options,
  });
  app.use(limiter);
  app.get('/v1/scenarios', (_req, res) => res.json({ scenarios: [] }));
  app.post('/v1/exports', (_req, res) => res.status(202).json({ export: 'queued' }));
  app.get('/healthz', (_req, res) => res.send('ok'));
  return { app, limiter };
}
