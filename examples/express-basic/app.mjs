import { createRateLimitMiddleware } from '@aurum/ratelimit-express';
import { createPrometheusObserver } from '@aurum/ratelimit-prometheus';
import express from 'express';
import { Registry } from 'prom-client';

/**
 * The demo app. Tenants come from the X-Tenant-ID header; ids starting with `ent-` are
 * enterprise, `prem-` premium, `basic-` basic, everything else free. Requests without a tenant
 * are limited per client address. Metrics are served at /metrics, which is not rate limited.
 */
export function createApp(options = {}) {
  const app = express();
  // This app's own registry (use prom-client's global `register` to serve your other metrics too).
  const registry = new Registry();
  const limiter = createRateLimitMiddleware({
    tierRules: [
      { pattern: 'ent-*', tier: 'enterprise' },
      { pattern: 'prem-*', tier: 'premium' },
      { pattern: 'basic-*', tier: 'basic' },
    ],
    // Exports are expensive: they cost 5 tokens.
    routes: [{ path: '/v1/exports', method: 'POST', cost: 5 }],
    admin: { token: process.env.AURUM_API_RATE_LIMIT_ADMIN_TOKEN ?? 'demo-admin-token' },
    // A tenant gets its own `tenant` label after 5 requests (at most 100 tenants do); the rest are `other`.
    observer: createPrometheusObserver({ registry, tenantLabel: { promoteAfter: 5 } }),
    // Prometheus scrapes are not rate limited.
    skip: (req) => req.path === '/metrics',
    ...options,
  });
  app.use(limiter);
  app.get('/v1/scenarios', (_req, res) => res.json({ scenarios: [] }));
  app.get('/v1/scenarios/:id', (req, res) => res.json({ id: req.params.id }));
  app.post('/v1/exports', (_req, res) => res.status(202).json({ export: 'queued' }));
  app.get('/healthz', (_req, res) => res.send('ok'));
  app.get('/metrics', async (_req, res) => res.type(registry.contentType).send(await registry.metrics()));
  return { app, limiter, registry };
}
