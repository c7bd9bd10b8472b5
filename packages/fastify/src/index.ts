export { type AdminRoutesOptions, aurumRateLimitAdmin } from './admin-routes.js';
export { aurumRateLimitOptions, type FastifyRateLimitOptions, type FastifyRefusalContext } from './options.js';
export { aurumRateLimit, aurumRateLimit as default } from './plugin.js';
export type { RouteRateLimitConfig } from './route-config.js';
export type { RateLimitInfo, RateLimitManager, RateLimitOptions, RefusalInfo } from '@aurum/ratelimit-core';
export type { HttpRateLimiter } from '@aurum/ratelimit-core/adapter';
