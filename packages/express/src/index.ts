export { type AdminMiddleware, createAdminRouter } from './admin-router.js';
export { createRateLimitMiddleware, type ExpressRateLimitOptions, type RateLimitMiddleware } from './middleware.js';
export type { RateLimitManager, RateLimitOptions } from '@aurum/ratelimit-core';
