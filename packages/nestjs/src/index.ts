export { RATE_LIMIT_METADATA, RateLimit, type RouteLimits, SKIP_RATE_LIMIT_METADATA, SkipRateLimit } from './decorators.js';
export { RateLimitException } from './exception.js';
export { RateLimitExceptionFilter } from './exception-filter.js';
export { RateLimitGuard } from './guard.js';
export { RateLimitInterceptor } from './interceptor.js';
export { RateLimitModule } from './module.js';
export { RateLimitInfo } from './rate-limit-info.js';
export {
  type NestRequest,
  type NestResponse,
  RateLimiter,
  type RateLimitModuleAsyncOptions,
  RateLimitModuleOptions,
  type RateLimitOptionsFactory,
} from './tokens.js';
export { RateLimitConfigError, type RateLimitManager, type RateLimitOptions, type RefusalInfo } from '@aurum/ratelimit-core';
export type { HttpRateLimiter } from '@aurum/ratelimit-core/adapter';
