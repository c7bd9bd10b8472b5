import { type ConfigIssue, RateLimitConfigError } from '@aurum/ratelimit-core';

/** Per-route settings for {@link RateLimitMiddleware.route}. */
export interface RouteLimits {
  /** Tokens a request to the route costs (a whole number >= 1); beats the `cost` option and route rules. @default 1 */
  readonly cost?: number;
  /** Count the route in a separate bucket of this name (`[A-Za-z0-9._-]{1,64}`, not `default`), with the tenant's quota. */
  readonly bucket?: string;
}

// Mirrors the core's rule for route-rule buckets (it is not exported), so a typo fails at start-up.
const BUCKET_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * Validates per-route limits.
 *
 * @throws RateLimitConfigError listing every problem
 */
export function checkRouteLimits(limits: RouteLimits): RouteLimits {
  const key = (name: string) => `route({ ${name} })`;
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new RateLimitConfigError([{ key: 'route()', message: `must be { cost?, bucket? }, got ${show(limits)}` }]);
  }
  const { cost, bucket } = limits;
  const issues: ConfigIssue[] = Object.keys(limits)
    .filter((k) => k !== 'cost' && k !== 'bucket')
    .map((k) => ({ key: key(k), message: 'is not a known option (cost, bucket)' }));
  if (cost !== undefined && !(Number.isSafeInteger(cost) && cost >= 1))
    issues.push({ key: key('cost'), message: `must be a whole number >= 1, got ${show(cost)}` });
  if (bucket !== undefined && !(typeof bucket === 'string' && BUCKET_NAME.test(bucket) && bucket !== 'default'))
    issues.push({ key: key('bucket'), message: `must match ${BUCKET_NAME} and not be "default", got ${show(bucket)}` });
  if (issues.length > 0) throw new RateLimitConfigError(issues);
  return Object.freeze({ ...(cost !== undefined && { cost }), ...(bucket !== undefined && { bucket }) });
}
