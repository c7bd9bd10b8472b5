export { type AdminMiddleware, createAdminRouter } from './admin-router.js';
export { createRateLimitMiddleware, type ExpressRateLimitOptions, type ExpressRefusalHandler, type RateLimitMiddleware } from './middleware.js';
export type { RateLimitInfo, RateLimitManager, RateLimitOptions, RefusalInfo } from '@aurum/ratelimit-core';
