import { serveAdmin, writeResponse } from '@aurum/ratelimit-core/adapter';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RateLimiter } from './tokens.js';

/** Node's request as Express and Fastify middleware (middie) see it, with a body a parser may have left. */
type AdminRequest = IncomingMessage & { originalUrl?: string; body?: unknown };
type Next = (error?: unknown) => void;

/**
 * A platform middleware serving the admin API under the limiter's admin prefix and passing every
 * other request on. Registered with Nest's HTTP adapter, it runs before routing on both platforms
 * and is never rate limited itself. Fastify middleware runs before body parsing, so there the
 * body is read from the stream (bounded).
 */
export function adminMiddleware(limiter: RateLimiter): (req: AdminRequest, res: ServerResponse, next: Next) => void {
  return (req: AdminRequest, res: ServerResponse, next: Next): void => {
    const path = req.originalUrl ?? req.url ?? '/';
    // Checked here too so that ordinary requests go on at once.
    if (!limiter.admin?.matches(path)) {
      next();
      return;
    }
    serveAdmin(limiter.admin, { method: req.method ?? 'GET', path, headers: req.headers, body: req.body, stream: req }).then(
      (response) => (response ? writeResponse(res, response) : next()),
      next,
    );
  };
}
