import type { Server } from 'node:http';
import type { RateLimitOptions } from '@aurum/ratelimit-core';
import { type AppVariant, brokenRefusalHook, conformanceRefusalBody, type RunningApp } from '@aurum/ratelimit-testkit';
import Router from '@koa/router';
import type Koa from 'koa';
import { createRateLimitMiddleware, type KoaMiddleware, type KoaRateLimitOptions } from '../src/index.js';

/** `koa` (3) or the `koa2` alias: same constructor shape. */
export type KoaClass = typeof Koa;

/** Listens on 127.0.0.1 and an ephemeral port; `close` ends open connections first. */
export async function listen(app: Koa): Promise<{ url: string; close: () => Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * The testkit's routes on an @koa/router: `/ping`, `/items/:id`, `/slow?ms=N`, after `first`
 * (router middleware runs in declaration order, so `router.use(limiter)` must come first).
 */
export function testRouter(first?: KoaMiddleware): Router {
  const router = new Router();
  if (first) router.use(first);
  router.get('/ping', (ctx) => {
    ctx.type = 'text/plain';
    ctx.body = 'pong';
  });
  router.get('/items/:id', (ctx) => {
    ctx.body = { id: ctx.params.id };
  });
  router.get('/info', (ctx) => {
    ctx.body = { rateLimit: ctx.state.rateLimit ?? null };
  });
  router.get('/status/:code', (ctx) => {
    ctx.status = Number(ctx.params.code);
    ctx.body = 'status';
  });
  router.get('/slow', async (ctx) => {
    await new Promise((r) => setTimeout(r, Number(ctx.query.ms ?? 100)));
    if (!ctx.res.destroyed) ctx.body = 'slow';
  });
  return router;
}

/** The conformance app on a given Koa major: the limiter app-wide, then the router. */
export async function startKoaApp(KoaApp: KoaClass, options: RateLimitOptions, variant: AppVariant = {}): Promise<RunningApp> {
  const app = new KoaApp();
  const handler: KoaRateLimitOptions['handler'] =
    variant.refusalHook === 'custom'
      ? (ctx, info) => {
          ctx.body = conformanceRefusalBody(info);
        }
      : variant.refusalHook === 'throws'
        ? brokenRefusalHook
        : undefined;
  const limiter = createRateLimitMiddleware({ ...(options as KoaRateLimitOptions), handler });
  const router = testRouter();
  app.use(limiter);
  app.use(router.routes());
  const server = await listen(app);
  return {
    url: server.url,
    close: async () => {
      await server.close();
      await limiter.close();
    },
  };
}
