export { type AdminMiddleware, createAdminRouter } from './admin-router.js';
export { createRateLimitMiddleware, type KoaMiddleware, type KoaRateLimitOptions, type KoaRefusalHandler, type RateLimitMiddleware } from './middleware.js';
export type { RouteLimits } from './route-limits.js';
export type { RateLimitInfo, RateLimitManager, RateLimitOptions, RefusalInfo } from '@aurum/ratelimit-core';
export type { HttpRateLimiter } from '@aurum/ratelimit-core/adapter';
