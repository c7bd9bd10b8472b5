import { createHttpRateLimiter, type HttpRateLimiter, releaseWhenDone } from '@aurum/ratelimit-core/adapter';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { registerAdminRoutes } from './admin-routes.js';
import { type FastifyRateLimitOptions, withFastifyLogger } from './options.js';
import { RouteLimits } from './route-config.js';
import { send, toRequestInfo } from './request-info.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The limiter {@link aurumRateLimit} registered: its `manager`, resolved `config` and `admin` handler. */
    readonly aurumRateLimit: HttpRateLimiter<FastifyRequest>;
  }
}

const plugin: FastifyPluginAsync<FastifyRateLimitOptions> = async (fastify, options) => {
  const limiter = createHttpRateLimiter<FastifyRequest>(withFastifyLogger(options, fastify.log));
  const logger = limiter.manager.config.logger;
  fastify.decorate('aurumRateLimit', limiter);
  fastify.addHook('onClose', () => limiter.close());

  const routes = new RouteLimits(logger);
  fastify.addHook('onRoute', (route) => routes.check(route));

  const pending = new WeakMap<FastifyRequest, () => void>();
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const limit = routes.of(request);
    if (!limit) return;
    const outcome = await limiter.handle(toRequestInfo(request, limit));
    if (outcome.action === 'respond') return send(reply, outcome);
    reply.headers(outcome.headers);
    // Node's 'close' covers a finished response and a client that went away, on every Fastify major.
    if (outcome.release) pending.set(request, releaseWhenDone(reply.raw, outcome.release, logger));
  });
  // onResponse may come first; whichever does releases.
  if (limiter.config.concurrency) fastify.addHook('onResponse', async (request) => pending.get(request)?.());

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
