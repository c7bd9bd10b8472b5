import { createHttpRateLimiter, type HttpRateLimiter, mountAdmin, serveAdmin } from '@aurum/ratelimit-core/adapter';
import type { Context } from 'koa';
import type { KoaMiddleware, KoaRateLimitOptions, RateLimitMiddleware } from './middleware.js';
import { toAdminRequest } from './request-info.js';
import { send } from './write.js';

/** The admin middleware, with the limiter it serves. */
export interface AdminMiddleware extends KoaMiddleware {
  readonly limiter: HttpRateLimiter<Context>;
  /** Closes the manager when this middleware created it (given options, not a limiter). */
  close(): Promise<void>;
}

/**
 * The admin API alone, for apps that mount it apart from the limiter (on an internal port, or
 * beside a limiter mounted with `router.use()`, which never sees unrouted admin paths).
 * Pass the limiter's middleware to share its manager, or options to build one. Requests outside
 * the admin prefix go on to `next()`.
 *
 * @example
 * app.use(createAdminRouter(limiter));
 * @throws AdminDisabledError (a `TypeError`) when the admin API is disabled (`admin: false`)
 */
export function createAdminRouter(source: RateLimitMiddleware | KoaRateLimitOptions = {}): AdminMiddleware {
  const shared = 'limiter' in source ? source.limiter : undefined;
  const { limiter, admin, close } = mountAdmin(shared, () => createHttpRateLimiter<Context>(source as KoaRateLimitOptions));
  const router: KoaMiddleware = async (ctx, next) => {
    const response = await serveAdmin(admin, toAdminRequest(ctx));
    if (response) send(ctx, response);
    else await next();
  };
  return Object.assign(router, { limiter, close });
}
