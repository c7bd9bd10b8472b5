import { type ConfigIssue, RateLimitConfigError } from '@aurum/ratelimit-core';
import { type CustomDecorator, SetMetadata } from '@nestjs/common';

/** Metadata key of {@link RateLimit}. */
export const RATE_LIMIT_METADATA = 'aurum:ratelimit';
/** Metadata key of {@link SkipRateLimit}. */
export const SKIP_RATE_LIMIT_METADATA = 'aurum:ratelimit:skip';

/** Per-route limits, read by {@link RateLimitGuard}. A handler's `@RateLimit()` replaces its class's (no merging). */
export interface RouteLimits {
  /** Tokens a request costs; beats the `cost` option and route rules. Whole number ≥ 1. @default 1 */
  cost?: number;
  /** Count requests in this separate bucket (same quota as the tenant's tier) instead of the main one. */
  bucket?: string;
}

// Mirrors the core's bucket-name rule, so a typo fails at start-up instead of on every request.
const BUCKET_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Sets the cost and/or bucket of a controller's routes (on the class) or of one handler.
 * Only writes metadata.
 *
 * @throws RateLimitConfigError when `cost` is not a whole number ≥ 1 or `bucket` is not a valid bucket name
 * @example
 * \@RateLimit({ cost: 5 }) \@Post('exports') export() {}
 */
export function RateLimit(limits: RouteLimits): CustomDecorator<string> {
  const issues: ConfigIssue[] = [];
  if (limits.cost !== undefined && !(Number.isSafeInteger(limits.cost) && limits.cost >= 1)) {
    issues.push({ key: '@RateLimit.cost', message: `must be a whole number >= 1, got ${String(limits.cost)}` });
  }
  if (limits.bucket !== undefined && !(typeof limits.bucket === 'string' && BUCKET_NAME.test(limits.bucket))) {
    issues.push({ key: '@RateLimit.bucket', message: `must match ${BUCKET_NAME}, got ${JSON.stringify(limits.bucket)}` });
  }
  if (issues.length > 0) throw new RateLimitConfigError(issues);
  return SetMetadata(RATE_LIMIT_METADATA, { ...limits });
}

/**
 * Exempts a controller (on the class) or one handler from rate limiting. On a handler,
 * `@SkipRateLimit(false)` limits it again inside a skipped controller.
 */
export function SkipRateLimit(skip = true): CustomDecorator<string> {
  return SetMetadata(SKIP_RATE_LIMIT_METADATA, skip);
}
