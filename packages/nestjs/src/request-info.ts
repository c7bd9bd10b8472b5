import type { HttpRequestInfo } from '@aurum/ratelimit-core/adapter';
import type { ExecutionContext } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { RouteLimits } from './decorators.js';
import type { NestRequest } from './tokens.js';

/** The fields both platforms' requests share (Express `Request`, Fastify `FastifyRequest`). */
interface PlatformRequest {
  method: string;
  url: string;
  originalUrl?: string;
  headers: IncomingHttpHeaders;
  /** Fastify: the Node request. */
  raw?: { socket?: { remoteAddress?: string } };
  socket?: { remoteAddress?: string };
  /** Express: the matched route, its full path included. */
  route?: { path?: unknown };
  /** Fastify: the matched route's URL pattern. */
  routeOptions?: { url?: unknown };
}

/** Translates a Nest HTTP request for the core: route pattern from the platform's router, else from Nest's path metadata. */
export function toRequestInfo(context: ExecutionContext, request: NestRequest, limits: RouteLimits | undefined): HttpRequestInfo<NestRequest> {
  const req = request as PlatformRequest;
  const route = stringOrUndefined(req.route?.path) ?? stringOrUndefined(req.routeOptions?.url) ?? metadataRoute(context);
  // Every field present (undefined when unknown): one object shape, no spread per request.
  return {
    method: req.method,
    url: req.originalUrl ?? req.url,
    route,
    headers: req.headers,
    ip: (req.raw ?? req).socket?.remoteAddress,
    raw: request,
    cost: limits?.cost,
    bucket: limits?.bucket,
  };
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `@Controller('items')` + `@Get(':id')` → `/items/:id` (without a global prefix, which only the platform knows). */
function metadataRoute(context: ExecutionContext): string | undefined {
  const first = (value: unknown) => (Array.isArray(value) ? value[0] : value);
  const parts = [first(Reflect.getMetadata(PATH_METADATA, context.getClass())), first(Reflect.getMetadata(PATH_METADATA, context.getHandler()))];
  const path = parts.filter((p): p is string => typeof p === 'string').join('/');
  return `/${path}`.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
}
