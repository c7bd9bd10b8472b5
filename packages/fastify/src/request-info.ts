import type { HttpRequestInfo, HttpResponse } from '@aurum/ratelimit-core/adapter';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteLimit } from './route-config.js';

/**
 * Translates a Fastify request for the core. The route pattern comes from the matched route
 * (`routeOptions.url`, or `routerPath` on older Fastify 4), never from the raw URL; unmatched
 * requests (404) have none, so the core folds their path itself.
 */
export function toRequestInfo(request: FastifyRequest, limit: NonNullable<RouteLimit>): HttpRequestInfo<FastifyRequest> {
  const route = request.is404 ? undefined : (request.routeOptions?.url ?? (request as unknown as { routerPath?: string }).routerPath);
  // Every field present (undefined when unknown): one object shape, no spread per request.
  return {
    method: request.method,
    url: request.url,
    route,
    headers: request.headers,
    // The socket peer: the core applies its own `trustProxy` to X-Forwarded-For.
    ip: request.raw.socket?.remoteAddress,
    raw: request,
    cost: limit.cost,
    bucket: limit.bucket,
  };
}

/** Writes a complete core response; returns the reply so async hooks and handlers can end with it. */
export function send(reply: FastifyReply, response: HttpResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}
