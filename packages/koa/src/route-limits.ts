import { parseRouteLimits, type RouteLimits as CoreRouteLimits } from '@aurum/ratelimit-core/adapter';

/** Per-route settings for {@link RateLimitMiddleware.route}: the core's route limits without `skip`. */
export type RouteLimits = Pick<CoreRouteLimits, 'cost' | 'bucket'>;

/**
 * Validates per-route limits with the core's rules.
 *
 * @throws RateLimitConfigError listing every problem
 */
export function checkRouteLimits(limits: RouteLimits): RouteLimits {
  return parseRouteLimits(limits, 'route()', ['cost', 'bucket']);
}
