import type { RateLimitInfo, RateLimitManager, RateLimitOptions, RefusalInfo } from '@aurum/ratelimit-core';
import {
  checkRefusalHook,
  countWhenDone,
  createHttpRateLimiter,
  type HttpOutcome,
  type HttpRequestInfo,
  type HttpRateLimiter,
  refusalHeaders,
  releaseWhenDone,
  runRefusalHook,
  serveAdmin,
  setHeaders,
  writeResponse,
} from '@aurum/ratelimit-core/adapter';
import type { Application, NextFunction, Request, RequestHandler, Response } from 'express';
import { toAdminRequest, toRequestInfo } from './request-info.js';

declare global {
  namespace Express {
    interface Request {
      /** The rate-limit decision on this request, set by Aurum's middleware (absent when the request was not limited). */
      rateLimit?: RateLimitInfo;
    }
  }
}

/**
 * Writes a rate or concurrency refusal instead of the default problem response (express-rate-limit's
 * `handler`). The status (`refusal.status`, default 429) and the `Retry-After` and rate-limit
 * headers are already set on `res`. If it throws (or rejects), the error is logged and the default
 * refusal sent.
 */
export type ExpressRefusalHandler = (req: Request, res: Response, next: NextFunction, info: RefusalInfo) => unknown;

/**
 * Options of {@link createRateLimitMiddleware}: a ready `manager`, or the options to build one, and
 * a refusal `handler`. `T` is the names of your own tiers (declared in `tiers`); the four default
 * tiers need none.
 */
export type ExpressRateLimitOptions<T extends string = never> = RateLimitOptions<Request, T> & {
  /** Writes rate and concurrency refusals yourself; the core's `refusal` option shapes the default one. */
  handler?: ExpressRefusalHandler;
};

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
// The `(app, settings)` form still works at run time but is no longer declared: with it as a
// second overload, every mistake in an options object was reported against `Application` too
// ("'tierRule' does not exist in type 'Application'"), burying the real message (issue 14).
export function createRateLimitMiddleware<T extends string = never>(
  first?: Application | ExpressRateLimitOptions<T>,
  second?: ExpressRateLimitOptions<T>,
): RateLimitMiddleware {
  const { handler, ...options } = (isApp(first) ? second : first) ?? {};
  checkRefusalHook('handler', handler, '(req, res, next, info)');
  const limiter = createHttpRateLimiter<Request, T>(options as RateLimitOptions<Request, T>);
  const logger = limiter.manager.config.logger;

  /** Writes the outcome: a refusal, or the headers (and the slot's release) before the next handler. */
  const apply = (req: Request, res: Response, next: NextFunction, outcome: HttpOutcome): void | Promise<void> => {
    if (outcome.action === 'respond') {
      const { refusal } = outcome;
      if (refusal === undefined || handler === undefined) return writeResponse(res, outcome);
      req.rateLimit = refusal;
      res.statusCode = outcome.status;
      setHeaders(res, refusalHeaders(outcome));
      return runRefusalHook(
        logger,
        'handler',
        () => handler(req, res, next, refusal),
        () => {
          if (!res.headersSent) writeResponse(res, outcome);
        },
      );
    }
    setHeaders(res, outcome.headers);
    if (outcome.info) req.rateLimit = outcome.info;
    if (outcome.release) releaseWhenDone(res, outcome.release, logger);
    if (outcome.onResponse) countWhenDone(res, outcome.onResponse);
    next();
  };
  const limit = (info: HttpRequestInfo<Request>, res: Response, next: NextFunction): void | Promise<void> => {
    const outcome = limiter.decide(info);
    if (outcome instanceof Promise) return outcome.then((o) => apply(info.raw, res, next, o));
    return apply(info.raw, res, next, outcome);
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
