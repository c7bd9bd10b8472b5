import { createHttpRateLimiter, type HttpRateLimiter, mountAdmin, serveAdmin, writeResponse } from '@aurum/ratelimit-core/adapter';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ExpressRateLimitOptions, RateLimitMiddleware } from './middleware.js';
import { toAdminRequest } from './request-info.js';

/** The admin middleware, with the limiter it serves. */
export interface AdminMiddleware extends RequestHandler {
  readonly limiter: HttpRateLimiter<Request>;
  /** Closes the manager when this middleware built it (given options, not a limiter); otherwise does nothing. */
  close(): Promise<void>;
}

/**
 * The admin API alone, for apps that mount it apart from the limiter (on an internal port, say).
 * Pass the limiter's middleware to share its manager, or options to build one; then call
 * `close()` on shutdown. Requests outside the admin prefix go on to `next()`, their body unread.
 *
 * @example
 * internal.use(createAdminRouter(limiter));
 * @throws AdminDisabledError (a `TypeError`) when the admin API is disabled (`admin: false`)
 */
export function createAdminRouter(source: RateLimitMiddleware | ExpressRateLimitOptions = {}): AdminMiddleware {
  const shared = 'limiter' in source ? source.limiter : undefined;
  const { limiter, admin, close } = mountAdmin(shared, () => createHttpRateLimiter<Request>(source as ExpressRateLimitOptions));
  const router = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const response = await serveAdmin(admin, toAdminRequest(req));
    if (response) writeResponse(res, response);
    else next();
  };
  return Object.assign(router, { limiter, close });
}
