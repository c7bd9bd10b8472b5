export { type AdminRoutesOptions, aurumRateLimitAdmin } from './admin-routes.js';
export { aurumRateLimitOptions, type FastifyRateLimitOptions } from './options.js';
export { aurumRateLimit, aurumRateLimit as default } from './plugin.js';
export type { RouteRateLimitConfig } from './route-config.js';
export type { RateLimitManager, RateLimitOptions } from '@aurum/ratelimit-core';
export type { HttpRateLimiter } from '@aurum/ratelimit-core/adapter';
