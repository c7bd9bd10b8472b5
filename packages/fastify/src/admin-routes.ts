import { createHttpRateLimiter, type HttpRateLimiter, MAX_ADMIN_BODY_BYTES, mountAdmin } from '@aurum/ratelimit-core/adapter';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { type FastifyRateLimitOptions, withFastifyLogger } from './options.js';
import { send } from './request-info.js';

/** Options of {@link aurumRateLimitAdmin}: a limiter to share (`fastify.aurumRateLimit`), or options to build one. */
export type AdminRoutesOptions = { limiter: HttpRateLimiter<FastifyRequest> } | FastifyRateLimitOptions;

// The routes the core serves; anything else under the prefix reaches it too, for its own 404/405.
const ROUTES: ReadonlyArray<readonly [HTTPMethods | HTTPMethods[], string]> = [
  ['GET', '/tenants'],
  ['GET', '/tenants/:id'],
  ['DELETE', '/tenants/:id/reset'],
  [['PUT', 'DELETE'], '/tenants/:id/override'],
  ['POST', '/circuit-breaker/reset'],
  ['GET', '/quotas'],
  ['GET', '/health'],
];

/**
 * Registers the admin API as Fastify routes under its prefix, in its own encapsulated scope: the
 * core parses bodies itself, so every body arrives as a string, and `config.rateLimit: false`
 * keeps the limiter off these routes.
 */
export async function registerAdminRoutes(scope: FastifyInstance, limiter: HttpRateLimiter<FastifyRequest>): Promise<void> {
  const admin = limiter.admin;
  if (!admin) return;
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_ADMIN_BODY_BYTES }, (_request, body, done) => done(null, body));
  // Routes carry the enclosing register() prefix; the core expects paths from its own prefix on.
  const outer = scope.prefix;
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = outer && request.url.startsWith(outer) ? request.url.slice(outer.length) : request.url;
    const response = await limiter.handleAdmin({ method: request.method, path, headers: request.headers, body: request.body });
    return response ? send(reply, response) : reply.callNotFound();
  };
  const config = { rateLimit: false as const };
  for (const [method, path] of ROUTES) scope.route({ method, url: `${admin.prefix}${path}`, config, handler });
  scope.all(admin.prefix, { config }, handler);
  scope.all(`${admin.prefix}/*`, { config }, handler);
}

/**
 * The admin API alone, for apps that serve it apart from the limiter (on an internal port, say).
 * `aurumRateLimit` already mounts it unless `admin: false`.
 *
 * @example
 * internal.register(aurumRateLimitAdmin, { manager: app.aurumRateLimit.manager, admin: { token } });
 * @throws AdminDisabledError (a `TypeError`) when the admin API is disabled (`admin: false`)
 */
export const aurumRateLimitAdmin: FastifyPluginAsync<AdminRoutesOptions> = async (scope, options = {}) => {
  // `prefix`, `logLevel` and `logSerializers` are Fastify's own register() options, not ours.
  const { prefix: _prefix, logLevel: _level, logSerializers: _serializers, ...rest } = options as FastifyRateLimitOptions & Record<string, unknown>;
  const shared = 'limiter' in rest ? (rest as { limiter: HttpRateLimiter<FastifyRequest> }).limiter : undefined;
  const { limiter, close } = mountAdmin(shared, () => createHttpRateLimiter<FastifyRequest>(withFastifyLogger(rest, scope.log)));
  scope.addHook('onClose', close);
  await registerAdminRoutes(scope, limiter);
};
