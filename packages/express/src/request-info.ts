import { type HttpRequestInfo, readAdminBody } from '@aurum/ratelimit-core';
import type { Request } from 'express';

/** Translates an Express request for the core. The route pattern exists only once Express has routed. */
export function toRequestInfo(req: Request): HttpRequestInfo<Request> {
  const pattern = req.route?.path;
  return {
    method: req.method,
    url: req.originalUrl ?? req.url,
    ...(typeof pattern === 'string' && { route: `${req.baseUrl ?? ''}${pattern}` }),
    headers: req.headers,
    ip: req.socket?.remoteAddress,
    raw: req,
  };
}

/** The admin request body: what a body parser left on `req.body`, else the raw stream (bounded). */
export async function adminBody(req: Request): Promise<unknown> {
  return req.body !== undefined ? req.body : readAdminBody(req.method, req);
}
