import type { HttpRequestInfo } from '@aurum/ratelimit-core';
import type { Context } from 'koa';
import type { RouteLimits } from './route-limits.js';
import { routePattern } from './router-match.js';

/** Translates a Koa context for the core. The route pattern is known only inside @koa/router. */
export function toRequestInfo(ctx: Context, limits?: RouteLimits): HttpRequestInfo<Context> {
  const route = routePattern(ctx);
  return {
    method: ctx.method,
    url: ctx.originalUrl ?? ctx.url,
    ...(route !== undefined && { route }),
    headers: ctx.headers,
    // The socket peer, not `ctx.ip`: the core applies its own `trustProxy` to X-Forwarded-For.
    ip: ctx.req.socket?.remoteAddress,
    raw: ctx,
    ...(limits?.cost !== undefined && { cost: limits.cost }),
    ...(limits?.bucket !== undefined && { bucket: limits.bucket }),
  };
}

const MAX_ADMIN_BODY = 64 * 1024;

/**
 * The admin request body: what a body parser left on `ctx.request.body`, else the raw stream
 * (at most 64 KB). Never rejects: an oversized, aborted or already consumed body is `undefined`.
 * The stream is never destroyed, so the answer (a 400) still reaches the client.
 */
export async function adminBody(ctx: Context): Promise<unknown> {
  const parsed = (ctx.request as { body?: unknown }).body;
  if (parsed !== undefined) return parsed;
  const req = ctx.req;
  if ((ctx.method !== 'PUT' && ctx.method !== 'POST') || req.readableEnded || req.destroyed) return undefined;
  if (Number(req.headers['content-length']) > MAX_ADMIN_BODY) return undefined;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (value: string | undefined) => {
      req.off('data', onData).off('end', onEnd).off('error', onFail).off('close', onFail);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_ADMIN_BODY) return void chunks.push(chunk);
      done(undefined);
      req.resume(); // discard the rest, as Node does with bodies nobody reads
    };
    const onEnd = () => done(Buffer.concat(chunks).toString('utf8'));
    const onFail = () => done(undefined);
    req.on('data', onData).on('end', onEnd).on('error', onFail).on('close', onFail);
  });
}
