import { parseRouteLimits } from '@aurum/ratelimit-core/adapter';
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

/**
 * Sets the cost and/or bucket of a controller's routes (on the class) or of one handler.
 * Only writes metadata.
 *
 * @throws RateLimitConfigError when `cost` is not a whole number ≥ 1 or `bucket` is not a valid bucket name
 * @example
 * \@RateLimit({ cost: 5 }) \@Post('exports') export() {}
 */
export function RateLimit(limits: RouteLimits): CustomDecorator<string> {
  return SetMetadata(RATE_LIMIT_METADATA, parseRouteLimits(limits, '@RateLimit', ['cost', 'bucket']));
}

/**
 * Exempts a controller (on the class) or one handler from rate limiting. On a handler,
 * `@SkipRateLimit(false)` limits it again inside a skipped controller.
 */
export function SkipRateLimit(skip = true): CustomDecorator<string> {
  return SetMetadata(SKIP_RATE_LIMIT_METADATA, skip);
}
