import { type ConfigIssue, RateLimitConfigError } from '../errors.js';
import { peerOptionMessage } from '../config/peer-options.js';
import { BUCKET_NAME } from './route-rules.js';

/**
 * Limits a framework route can carry (Fastify route `config.rateLimit`, Nest's `@RateLimit()`,
 * Koa's `limiter.route()`); the adapters pass them on as `HttpRequestInfo.cost` / `bucket`.
 */
export interface RouteLimits {
  /** Tokens a request to the route costs (a whole number >= 1); beats the `cost` option and route rules. @default 1 */
  readonly cost?: number;
  /** Count the route in a separate bucket of this name (`[A-Za-z0-9._-]{1,64}`, not `default`), with the tenant's quota. */
  readonly bucket?: string;
  /** Do not limit the route at all. @default false */
  readonly skip?: boolean;
}

const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

/**
 * Validates route limits and returns them frozen, or throws one {@link RateLimitConfigError}
 * naming every bad field. Adapters call it when a route is declared, so a typo fails at start-up.
 *
 * @param where how to name the value in messages, e.g. `GET /items/:id config.rateLimit`
 * @param fields the fields this adapter supports
 */
export function parseRouteLimits(value: unknown, where: string, fields: ReadonlyArray<keyof RouteLimits> = ['cost', 'bucket', 'skip']): RouteLimits {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RateLimitConfigError([{ key: where, message: `must be { ${fields.join('?, ')}? }, got ${show(value)}` }]);
  }
  const { cost, bucket, skip } = value as Record<string, unknown>;
  const key = (name: string) => `${where}.${name}`;
  const issues: ConfigIssue[] = Object.keys(value)
    .filter((k) => !(fields as readonly string[]).includes(k))
    .map((k) => ({ key: key(k), message: peerOptionMessage(k) ?? `is not a known option (${fields.join(', ')})` }));
  if (cost !== undefined && !(Number.isSafeInteger(cost) && (cost as number) >= 1))
    issues.push({ key: key('cost'), message: `must be a whole number >= 1, got ${show(cost)}` });
  if (bucket !== undefined && !(typeof bucket === 'string' && BUCKET_NAME.test(bucket) && bucket !== 'default')) {
    issues.push({ key: key('bucket'), message: `must match ${BUCKET_NAME} and not be "default", got ${show(bucket)}` });
  }
  if (skip !== undefined && typeof skip !== 'boolean') issues.push({ key: key('skip'), message: `must be true or false, got ${show(skip)}` });
  if (issues.length > 0) throw new RateLimitConfigError(issues);
  return Object.freeze({
    ...(cost !== undefined && { cost: cost as number }),
    ...(bucket !== undefined && { bucket: bucket as string }),
    ...(skip !== undefined && { skip: skip as boolean }),
  });
}
