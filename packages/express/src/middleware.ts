import { createHttpRateLimiter, type HttpRateLimiter, type RateLimitManager, type RateLimitOptions } from '@aurum/ratelimit-core';
import type { Application, NextFunction, Request, RequestHandler, Response } from 'express';
import { adminBody, toRequestInfo } from './request-info.js';
import { send, setHeaders } from './write.js';

/** Options of {@link createRateLimitMiddleware}: a ready `manager`, or the options to build one. */
export type ExpressRateLimitOptions = RateLimitOptions<Request>;

/** The middleware, with handles to what it built. */
export interface RateLimitMiddleware extends RequestHandler {
  readonly limiter: HttpRateLimiter<Request>;
  readonly manager: RateLimitManager;
  /** Closes the manager when the middleware created it. */
  close(): Promise<void>;
}

/**
 * Express 4/5 middleware: limits every request it sees, serves the admin API under its prefix,
 * and holds a concurrency slot until the response finishes or the client goes away.
 *
 * @example
 * app.use(createRateLimitMiddleware({ tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] }));
 */
export function createRateLimitMiddleware(options?: ExpressRateLimitOptions): RateLimitMiddleware;
/** The seed's two-argument form; `app` is accepted for compatibility and not modified. */
export function createRateLimitMiddleware(app: Application, settings?: ExpressRateLimitOptions): RateLimitMiddleware;
export function createRateLimitMiddleware(first?: Application | ExpressRateLimitOptions, second?: ExpressRateLimitOptions): RateLimitMiddleware {
  const options = isApp(first) ? second : first;
  const limiter = createHttpRateLimiter<Request>(options ?? {});

  const middleware = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const info = toRequestInfo(req);
    if (limiter.admin?.matches(info.url)) {
      const response = await limiter.handleAdmin({ method: req.method, path: info.url, headers: req.headers, body: await adminBody(req) });
      if (response) return send(res, response);
    }
    const outcome = await limiter.handle(info);
    if (outcome.action === 'respond') return send(res, outcome);
    setHeaders(res, outcome.headers);
    const release = outcome.release;
    // 'close' follows 'finish' on every response and also fires when the client aborts (maybe
    // already, while we were deciding).
    if (release) {
      const free = () => void release().catch(() => {});
      if (res.destroyed) free();
      else res.once('close', free);
    }
    next();
  };
  return Object.assign(middleware, { limiter, manager: limiter.manager, close: () => limiter.close() });
}

function isApp(value: unknown): value is Application {
  return typeof value === 'function' && typeof (value as Application).use === 'function';
}
