import { createAdminRouter, createRateLimitMiddleware } from '@aurum/ratelimit-koa';
import Router from '@koa/router';
import Koa from 'koa';

/**
 * The demo app. Tenants come from the X-Tenant-ID header; ids starting with `ent-` are
 * enterprise, `prem-` premium, `basic-` basic, everything else free. Requests without a tenant
 * are limited per client address.
 */
export function createApp(options = {}) {
  const limiter = createRateLimitMiddleware({
    tierRules: [
      { pattern: 'ent-*', tier: 'enterprise' },
      { pattern: 'prem-*', tier: 'premium' },
      { pattern: 'basic-*', tier: 'basic' },
    ],
    admin: { token: process.env.AURUM_API_RATE_LIMIT_ADMIN_TOKEN ?? 'demo-admin-token' },
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

  const app = new Koa();
  // The limiter above only sees routed requests, so the admin API is mounted on its own.
  app.use(createAdminRouter(limiter));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return { app, limiter };
}
