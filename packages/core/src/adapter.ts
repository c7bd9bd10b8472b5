/**
 * `@aurum/ratelimit-core/adapter`: for framework adapter authors (and custom servers) — the
 * HTTP limiter that turns a request into an outcome, the request and response shapes, the
 * header and problem builders, the admin API, and the adapter kit. See the "Writing an adapter"
 * section of docs/architecture.md.
 */
export {
  type AdminMount,
  type AdminRequestSource,
  adminBody,
  assertAdminEnabled,
  type BodySource,
  type CountedResponse,
  countWhenDone,
  MAX_ADMIN_BODY_BYTES,
  mountAdmin,
  type NodeResponseLike,
  type ResponseLifecycle,
  readAdminBody,
  refusalHeaders,
  releaseWhenDone,
  runRefusalHook,
  checkRefusalHook,
  serveAdmin,
  setHeaders,
  writeResponse,
} from './adapter/index.js';
export { AdminHandler, type AdminHttpRequest, DEFAULT_ADMIN_PREFIX } from './admin/admin-handler.js';
export { ALL_HEADER_FAMILIES, CONCURRENCY_RETRY_AFTER, concurrencyHeaders, type HeaderFamilies, rateLimitHeaders } from './http/headers.js';
export { createHttpRateLimiter, type HttpOutcome, type HttpRequestInfo, HttpRateLimiter } from './http/http-limiter.js';
export { HTTP_OPTION_KEYS } from './http/http-options.js';
export type { ResolvedHttpConfig } from './config/resolve-http.js';
export { type HttpResponse, type ProblemInput, type ProblemKind, problemResponse, requestInstance } from './http/problem.js';
export { MANAGER_OPTION_KEYS } from './manager/manager-options.js';
export { type LineSink, logLevelFromEnv } from './observe/console-logger.js';
export { pathLabel } from './routing/path.js';
export { parseRouteLimits, type RouteLimits } from './routing/route-limits.js';
