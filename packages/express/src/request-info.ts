import type { HttpRequestInfo } from '@aurum/ratelimit-core';
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

const MAX_ADMIN_BODY = 64 * 1024;

/** The admin request body: what a body parser left on `req.body`, else the raw stream (bounded). */
export async function adminBody(req: Request): Promise<unknown> {
  if (req.body !== undefined) return req.body;
  if (req.method !== 'PUT' && req.method !== 'POST') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_ADMIN_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
