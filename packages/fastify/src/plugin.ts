import type { RateLimitInfo } from '@aurum/ratelimit-core';
import {
  checkRefusalHook,
  countWhenDone,
  createHttpRateLimiter,
  type HttpOutcome,
  type HttpRateLimiter,
  refusalHeaders,
  releaseWhenDone,
  runRefusalHook,
} from '@aurum/ratelimit-core/adapter';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { registerAdminRoutes } from './admin-routes.js';
import { type FastifyRateLimitOptions, refusalContext, withFastifyLogger } from './options.js';
import { RouteLimits } from './route-config.js';
import { send, toRequestInfo } from './request-info.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The limiter {@link aurumRateLimit} registered: its `manager`, resolved `config` and `admin` handler. */
    readonly aurumRateLimit: HttpRateLimiter<FastifyRequest>;
  }
  interface FastifyRequest {
    /** The rate-limit decision on this request, set by {@link aurumRateLimit} (absent when the route is not limited). */
    rateLimit?: RateLimitInfo;
  }
}

const plugin: FastifyPluginAsync<FastifyRateLimitOptions> = async (fastify, pluginOptions) => {
  const { errorResponseBuilder: build, ...options } = pluginOptions ?? {};
  checkRefusalHook('errorResponseBuilder', build, '(request, context)');
  const limiter = createHttpRateLimiter<FastifyRequest>(withFastifyLogger(options, fastify.log));
  const logger = limiter.manager.config.logger;
  fastify.decorate('aurumRateLimit', limiter);
  // Declared up front: one request shape, and `request.rateLimit` typed (see the augmentation above).
  if (!fastify.hasRequestDecorator('rateLimit')) fastify.decorateRequest('rateLimit', undefined);
  fastify.addHook('onClose', () => limiter.close());

  const routes = new RouteLimits(logger);
  fastify.addHook('onRoute', (route) => routes.check(route));

  // The "release now" of a request's slot, in a request decorator: declared once (a stable object
  // shape), no WeakMap entry per request. A symbol: nothing for apps (or another instance) to clash with.
  const releaseKey = Symbol('aurum slot release');
  fastify.decorateRequest(releaseKey, null);
  const held = (request: FastifyRequest) => request as unknown as Record<symbol, (() => void) | null>;

  const settle = (request: FastifyRequest, reply: FastifyReply, outcome: HttpOutcome, done: HookHandlerDoneFunction): void => {
    if (outcome.action === 'respond') {
      // A callback hook that replies does not call done().
      const { refusal } = outcome;
      if (refusal === undefined || build === undefined) {
        send(reply, outcome);
        return;
      }
      request.rateLimit = refusal;
      runRefusalHook(
        logger,
        'errorResponseBuilder',
        () =>
          reply
            .code(outcome.status)
            .headers(refusalHeaders(outcome))
            .send(build(request, refusalContext(refusal))),
        () => {
          if (!reply.sent) send(reply, outcome);
        },
      );
      return;
    }
    reply.headers(outcome.headers);
    if (outcome.info) request.rateLimit = outcome.info;
    // Node's 'close' covers a finished response and a client that went away, on every Fastify major.
    if (outcome.release) held(request)[releaseKey] = releaseWhenDone(reply.raw, outcome.release, logger);
    if (outcome.onResponse) countWhenDone(reply.raw, outcome.onResponse);
    done();
  };
  // Callback hooks, not async ones: a request decided synchronously (memory store) goes on with no
  // promise and no microtask turn. decide() never rejects; a throw while writing reaches done().
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const limit = routes.of(request);
    if (!limit) return done();
    const outcome = limiter.decide(toRequestInfo(request, limit));
    if (outcome instanceof Promise) outcome.then((o) => settle(request, reply, o, done)).catch((error: Error) => done(error));
    else settle(request, reply, outcome, done);
  });
  // onResponse may come first; whichever does releases.
  if (limiter.config.concurrency) {
    fastify.addHook('onResponse', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      held(request)[releaseKey]?.();
      done();
    });
  }

  await fastify.register(async (scope) => registerAdminRoutes(scope, limiter));
};

/**
 * Fastify 4/5 plugin: limits every request in an `onRequest` hook (honouring the route's
 * `config.rateLimit`), serves the admin API under its prefix, holds a concurrency slot until the
 * response ends or the client goes away, and closes what it built when Fastify closes.
 * Wrapped with fastify-plugin, so registering it once at the root covers every route.
 *
 * @example
 * await fastify.register(aurumRateLimit, { tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] });
 * fastify.get('/export', { config: { rateLimit: { cost: 5 } } }, handler);
 * @throws RateLimitConfigError (from `register`/`ready`) on bad options or a bad route `config.rateLimit`
 */
export const aurumRateLimit = fp(plugin, { fastify: '4.x || 5.x', name: '@aurum/ratelimit-fastify' });
