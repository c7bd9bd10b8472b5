import type { RateLimitManager, RateLimitOptions } from '@aurum/ratelimit-core';
import {
  createHttpRateLimiter,
  type HttpOutcome,
  type HttpRequestInfo,
  type HttpRateLimiter,
  releaseWhenDone,
  serveAdmin,
  setHeaders,
  writeResponse,
} from '@aurum/ratelimit-core/adapter';
import type { Application, NextFunction, Request, RequestHandler, Response } from 'express';
import { toAdminRequest, toRequestInfo } from './request-info.js';

/**
 * Options of {@link createRateLimitMiddleware}: a ready `manager`, or the options to build one.
 * `T` is the names of your own tiers (declared in `tiers`); the four default tiers need none.
 */
export type ExpressRateLimitOptions<T extends string = never> = RateLimitOptions<Request, T>;

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
export function createRateLimitMiddleware<T extends string = never>(options?: ExpressRateLimitOptions<T>): RateLimitMiddleware;
// The seed's `(app, settings)` form still works at run time but is no longer declared: with it as a
// second overload, every mistake in an options object was reported against `Application` too
// ("'tierRule' does not exist in type 'Application'"), burying the real message (issue 14).
export function createRateLimitMiddleware<T extends string = never>(
  first?: Application | ExpressRateLimitOptions<T>,
  second?: ExpressRateLimitOptions<T>,
): RateLimitMiddleware {
  const options = isApp(first) ? second : first;
  const limiter = createHttpRateLimiter<Request, T>(options ?? {});
  const logger = limiter.manager.config.logger;

  /** Writes the outcome: a refusal, or the headers (and the slot's release) before the next handler. */
  const apply = (res: Response, next: NextFunction, outcome: HttpOutcome): void => {
    if (outcome.action === 'respond') {
      writeResponse(res, outcome);
      return;
    }
    setHeaders(res, outcome.headers);
    if (outcome.release) releaseWhenDone(res, outcome.release, logger);
    next();
  };
  const limit = (info: HttpRequestInfo<Request>, res: Response, next: NextFunction): void | Promise<void> => {
    const outcome = limiter.decide(info);
    if (outcome instanceof Promise) return outcome.then((o) => apply(res, next, o));
    apply(res, next, outcome);
  };

  // Not async: a request the limiter decides synchronously (the memory store) goes on to `next()`
  // without a promise. Otherwise the promise is returned, for Express 5 to await (decide() never
  // rejects).
  const middleware = (req: Request, res: Response, next: NextFunction): void | Promise<void> => {
    const info = toRequestInfo(req);
    // Checked here too so that ordinary requests skip an await.
    if (limiter.admin?.matches(info.url)) {
      return serveAdmin(limiter.admin, toAdminRequest(req)).then((response) => (response ? writeResponse(res, response) : limit(info, res, next)));
    }
    return limit(info, res, next);
  };
  return Object.assign(middleware, { limiter, manager: limiter.manager, close: () => limiter.close() });
}

function isApp(value: unknown): value is Application {
  return typeof value === 'function' && typeof (value as Application).use === 'function';
}
