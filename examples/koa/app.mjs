import { createAdminRouter, createRateLimitMiddleware } from '@aurum/ratelimit-koa';
import { createPrometheusObserver } from '@aurum/ratelimit-prometheus';
import Router from '@koa/router';
import Koa from 'koa';
import { Registry } from 'prom-client';

/**
 * The demo app. Tenants come from the X-Tenant-ID header; ids starting with `ent-` are
 * enterprise, `prem-` premium, `basic-` basic, everything else free. Requests without a tenant
 * are limited per client address. Metrics are served at /metrics, which is not rate limited.
 */
export function createApp(options = {}) {
  // This app's own registry (use prom-client's global `register` to serve your other metrics too).
  const registry = new Registry();
  const limiter = createRateLimitMiddleware({
    tierRules: [
      { pattern: 'ent-*', tier: 'enterprise' },
      { pattern: 'prem-*', tier: 'premium' },
      { pattern: 'basic-*', tier: 'basic' },
    ],
    admin: { token: process.env.AURUM_API_RATE_LIMIT_ADMIN_TOKEN ?? 'demo-admin-token' },
    // A tenant gets its own `tenant` label after 5 requests (at most 100 tenants do); the rest are `other`.
    observer: createPrometheusObserver({ registry, tenantLabel: { promoteAfter: 5 } }),
    // Prometheus scrapes are not rate limited.
    skip: (ctx) => ctx.path === '/metrics',
    ...options,
  });

  const router = new Router();
  // First, so it runs before every route below; inside the router, metrics see `/v1/scenarios/:id`.
  router.use(limiter);
  router.get('/v1/scenarios', (ctx) => {
    ctx.body = { scenarios: [] };
  });
  router.get('/v1/scenarios/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  // Exports are expensive: they cost 5 tokens.
  router.post('/v1/exports', limiter.route({ cost: 5 }), (ctx) => {
    ctx.status = 202;
    ctx.body = { export: 'queued' };
  });
  router.get('/healthz', (ctx) => {
    ctx.body = 'ok';
  });
  router.get('/metrics', async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });

  const app = new Koa();
  // The limiter above only sees routed requests, so the admin API is mounted on its own.
  app.use(createAdminRouter(limiter));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, limiter, registry };
}
