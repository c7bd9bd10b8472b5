import type { AdminRequestSource, HttpRequestInfo } from '@aurum/ratelimit-core/adapter';
import type { Request } from 'express';

/** Translates an Express request for the core. The route pattern exists only once Express has routed. */
export function toRequestInfo(req: Request): HttpRequestInfo<Request> {
  const pattern = req.route?.path;
  // Every field present (undefined when unknown): one object shape, no spread per request.
  return {
    method: req.method,
    url: req.originalUrl ?? req.url,
    route: typeof pattern === 'string' ? `${req.baseUrl ?? ''}${pattern}` : undefined,
    headers: req.headers,
    ip: req.socket?.remoteAddress,
    raw: req,
  };
}

/** Translates an Express request for the admin API: what a body parser left on `req.body`, else the stream. */
export function toAdminRequest(req: Request): AdminRequestSource {
  return { method: req.method, path: req.originalUrl ?? req.url, headers: req.headers, body: req.body, stream: req };
}
