import type { AdminRequestSource, HttpRequestInfo } from '@aurum/ratelimit-core/adapter';
import type { Context } from 'koa';
import type { RouteLimits } from './route-limits.js';
import { routePattern } from './router-match.js';

/** Translates a Koa context for the core. The route pattern is known only inside @koa/router. */
export function toRequestInfo(ctx: Context, limits?: RouteLimits): HttpRequestInfo<Context> {
  const route = routePattern(ctx);
  // Every field present (undefined when unknown): one object shape, no spread per request.
  return {
    method: ctx.method,
    url: ctx.originalUrl ?? ctx.url,
    route,
    headers: ctx.headers,
    // The socket peer, not `ctx.ip`: the core applies its own `trustProxy` to X-Forwarded-For.
    ip: ctx.req.socket?.remoteAddress,
    raw: ctx,
    cost: limits?.cost,
    bucket: limits?.bucket,
  };
}

/** Translates a Koa context for the admin API: what a body parser left on `ctx.request.body`, else the stream. */
export function toAdminRequest(ctx: Context): AdminRequestSource {
  const body = (ctx.request as { body?: unknown }).body;
  return { method: ctx.method, path: ctx.originalUrl ?? ctx.url, headers: ctx.headers, body, stream: ctx.req };
}
