import { type HttpResponse, readAdminBody } from '@aurum/ratelimit-core';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RateLimiter } from './tokens.js';

/** Node's request as Express and Fastify middleware (middie) see it, with a body a parser may have left. */
type AdminRequest = IncomingMessage & { originalUrl?: string; body?: unknown };
type Next = (error?: unknown) => void;

/**
 * A platform middleware serving the admin API under the limiter's admin prefix and passing every
 * other request on. Registered with Nest's HTTP adapter, it runs before routing on both platforms
 * and is never rate limited itself.
 */
export function adminMiddleware(limiter: RateLimiter): (req: AdminRequest, res: ServerResponse, next: Next) => void {
  return (req: AdminRequest, res: ServerResponse, next: Next): void => {
    const url = req.originalUrl ?? req.url ?? '/';
    if (!limiter.admin?.matches(url)) {
      next();
      return;
    }
    readBody(req)
      .then((body) => limiter.handleAdmin({ method: req.method ?? 'GET', path: url, headers: req.headers, body }))
      .then((response) => (response ? send(res, response) : next()), next);
  };
}

function send(res: ServerResponse, response: HttpResponse): void {
  res.statusCode = response.status;
  for (const name in response.headers) res.setHeader(name, response.headers[name] as string);
  res.end(response.body);
}

/** What a body parser left on `req.body` (Express), else the raw stream, bounded (Fastify middleware runs before parsing). */
async function readBody(req: AdminRequest): Promise<unknown> {
  return req.body !== undefined ? req.body : readAdminBody(req.method ?? 'GET', req);
}
