import type { RateLimitInfo as Info } from '@aurum/ratelimit-core';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { NestRequest } from './tokens.js';

/**
 * Injects the rate-limit decision on the request into a handler parameter (`undefined` when the
 * guard did not limit it): `get(@RateLimitInfo() info: RateLimitInfo)`. The guard keeps it on the
 * platform's request as `rateLimit`, where Express middleware finds it too.
 */
export const RateLimitInfo = createParamDecorator((_data: unknown, context: ExecutionContext): Info | undefined => {
  return context.switchToHttp().getRequest<NestRequest>().rateLimit as Info | undefined;
});
/** The decision on a request: see `RateLimitInfo` in `@aurum/ratelimit-core`. */
export type RateLimitInfo = Info;
