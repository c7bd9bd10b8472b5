export { type AdminMiddleware, createAdminRouter } from './admin-router.js';
export { createRateLimitMiddleware, type KoaMiddleware, type KoaRateLimitOptions, type RateLimitMiddleware } from './middleware.js';
export type { RouteLimits } from './route-limits.js';
export type { HttpRateLimiter, RateLimitManager, RateLimitOptions } from '@aurum/ratelimit-core';
