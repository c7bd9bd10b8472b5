import type { RateLimitInfo, RateLimitManager, RateLimitOptions, RefusalInfo } from '@aurum/ratelimit-core';
import {
  checkRefusalHook,
  countWhenDone,
  createHttpRateLimiter,
  type HttpOutcome,
  type HttpRateLimiter,
  refusalHeaders,
  releaseWhenDone,
  runRefusalHook,
  serveAdmin,
} from '@aurum/ratelimit-core/adapter';
import type { Context, Next } from 'koa';
import { toAdminRequest, toRequestInfo } from './request-info.js';
import { checkRouteLimits, type RouteLimits } from './route-limits.js';
import { matchedTag } from './router-match.js';
import { send } from './write.js';

declare module 'koa' {
  interface DefaultState {
    /** The rate-limit decision on this request, set by Aurum's middleware (absent when the request was not limited). */
    rateLimit?: RateLimitInfo;
  }
}

/**
 * Writes a rate or concurrency refusal instead of the default problem response: set `ctx.body`
 * (and `ctx.status` to change it). `ctx.status` (`refusal.status`, default 429) and the
 * `Retry-After` and rate-limit headers are already set. May be async. If it throws (or rejects),
 * the error is logged and the default refusal sent.
 */
export type KoaRefusalHandler = (ctx: Context, info: RefusalInfo) => unknown;

/**
 * Options of {@link createRateLimitMiddleware}: a ready `manager`, or the options to build one, and
 * a refusal `handler`. `T` is the names of your own tiers (declared in `tiers`); the four default
 * tiers need none.
 */
export type KoaRateLimitOptions<T extends string = never> = RateLimitOptions<Context, T> & {
  /** Writes rate and concurrency refusals yourself; the core's `refusal` option shapes the default one. */
  handler?: KoaRefusalHandler;
};

/** A Koa middleware function (Koa 2 and 3). */
export type KoaMiddleware = (ctx: Context, next: Next) => Promise<void>;

/** The middleware, with handles to what it built. */
export interface RateLimitMiddleware extends KoaMiddleware {
  readonly limiter: HttpRateLimiter<Context>;
  readonly manager: RateLimitManager;
  /**
   * Route middleware giving one route its own cost and/or bucket:
   * `router.post('/exports', limiter.route({ cost: 5 }), handler)`. When the limiter runs earlier
   * in the same router (`router.use(limiter)`) it picks these limits up; used alone, it limits the
   * route itself. Either way a request is counted once.
   * @throws RateLimitConfigError on a bad cost or bucket
   */
  route(limits: RouteLimits): KoaMiddleware;
  /** Closes the manager when the middleware created it. */
  close(): Promise<void>;
}

/**
 * Koa 2/3 middleware: limits every request it sees, serves the admin API under its prefix, and
 * holds a concurrency slot until the response finishes or the client goes away. Mounted inside
 * an @koa/router (`router.use(limiter)` before the routes, or on one route), metrics see the
 * route pattern (`/items/:id`); mounted app-wide, it also limits unrouted requests.
 *
 * @example
 * app.use(createRateLimitMiddleware({ tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] }));
 * @throws RateLimitConfigError on bad options, naming every problem
 */
export function createRateLimitMiddleware<T extends string = never>(koaOptions: KoaRateLimitOptions<T> = {}): RateLimitMiddleware {
  const { handler, ...options } = koaOptions;
  checkRefusalHook('handler', handler, '(ctx, info)');
  const limiter = createHttpRateLimiter<Context, T>(options as RateLimitOptions<Context, T>);
  const logger = limiter.manager.config.logger;
  const tags = new WeakMap<object, RouteLimits>();
  // Requests this limiter already decided, with the route limits it applied (null: none): on the
  // context under this limiter's own symbol, a property rather than a WeakMap entry per request.
  const decidedKey = Symbol('aurum decided');
  const decided = (ctx: Context) => ctx as unknown as Record<symbol, RouteLimits | null | undefined>;

  const apply = (ctx: Context, next: Next, outcome: HttpOutcome): Promise<void> => {
    if (outcome.action === 'respond') {
      const { refusal } = outcome;
      if (refusal === undefined || handler === undefined) {
        send(ctx, outcome);
        return Promise.resolve();
      }
      ctx.state.rateLimit = refusal;
      ctx.status = outcome.status;
      ctx.set(refusalHeaders(outcome));
      const fallback = () => send(ctx, outcome);
      return runRefusalHook(logger, 'handler', () => handler(ctx, refusal), fallback) ?? Promise.resolve();
    }
    ctx.set(outcome.headers);
    if (outcome.info) ctx.state.rateLimit = outcome.info;
    if (outcome.release) releaseWhenDone(ctx.res, outcome.release, logger);
    if (outcome.onResponse) countWhenDone(ctx.res, outcome.onResponse);
    return next();
  };

  // Not async: a request decided synchronously (memory store) goes on to next() with no promise
  // of ours; Koa turns a throw into a rejection as it did for the async version.
  function limit(ctx: Context, next: Next, limits: RouteLimits | undefined): Promise<void> {
    decided(ctx)[decidedKey] = limits ?? null;
    const outcome = limiter.decide(toRequestInfo(ctx, limits));
    return outcome instanceof Promise ? outcome.then((o) => apply(ctx, next, o)) : apply(ctx, next, outcome);
  }

  const middleware: KoaMiddleware = (ctx, next) => {
    if (decided(ctx)[decidedKey] !== undefined) return next();
    // Checked here too so that ordinary requests skip an await.
    if (limiter.admin?.matches(ctx.originalUrl ?? ctx.url)) {
      return serveAdmin(limiter.admin, toAdminRequest(ctx)).then((response) => {
        if (!response) return limit(ctx, next, matchedTag(ctx, tags));
        send(ctx, response);
      });
    }
    return limit(ctx, next, matchedTag(ctx, tags));
  };

  const route = (limits: RouteLimits): KoaMiddleware => {
    const checked = checkRouteLimits(limits);
    let warned = false;
    const routeMiddleware: KoaMiddleware = (ctx, next) => {
      const applied = decided(ctx)[decidedKey];
      if (applied === undefined) return limit(ctx, next, checked);
      if (applied !== checked && !warned) {
        warned = true;
        logger.warn(
          { route: ctx.path, limits: checked },
          'request limited before routing (app.use); mount the limiter with router.use() for route limits to apply',
        );
      }
      return next();
    };
    tags.set(routeMiddleware, checked);
    return routeMiddleware;
  };

  return Object.assign(middleware, { limiter, manager: limiter.manager, route, close: () => limiter.close() });
}
