import { createHttpRateLimiter, DEFAULT_ADMIN_PREFIX, type HttpRateLimiter } from '@aurum/ratelimit-core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ExpressRateLimitOptions, RateLimitMiddleware } from './middleware.js';
import { adminBody } from './request-info.js';
import { send } from './write.js';

/**
 * The admin API alone, for apps that mount it apart from the limiter (on an internal port, say).
 * Pass the limiter's middleware to share its manager, or options to build one.
 */
export function createAdminRouter(source: RateLimitMiddleware | ExpressRateLimitOptions = {}): RequestHandler {
  const limiter: HttpRateLimiter<Request> = 'limiter' in source ? source.limiter : createHttpRateLimiter<Request>(source as ExpressRateLimitOptions);
  if (!limiter.admin) throw new TypeError(`the admin API is disabled (admin: false); nothing to mount at ${DEFAULT_ADMIN_PREFIX}`);
  return async (req: Request, res: Response, next: NextFunction) => {
    const url = req.originalUrl ?? req.url;
    const response = await limiter.handleAdmin({ method: req.method, path: url, headers: req.headers, body: await adminBody(req) });
    if (response) send(res, response);
    else next();
  };
}
