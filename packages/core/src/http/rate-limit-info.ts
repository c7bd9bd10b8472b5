import type { RateLimitDecision } from '../manager/decision.js';

/**
 * The decision on a request, as a handler reads it: Express `req.rateLimit`, Fastify
 * `request.rateLimit`, Koa `ctx.state.rateLimit`, NestJS `@RateLimitInfo()`; refusal hooks get it
 * too. Plain data (JSON-serialisable), built once per limited request.
 */
export interface RateLimitInfo {
  /** Whether the request goes on (shadow mode: true even when the bucket said no). */
  readonly allowed: boolean;
  /** The tenant id, or `anonymous`. */
  readonly tenant: string;
  readonly tier: string;
  readonly anonymous: boolean;
  /** The policy name, as in `RateLimit-Policy`. */
  readonly policy: string;
  /** `default`, or the route's separate bucket. */
  readonly bucket: string;
  /** Tokens this request cost (or would have). */
  readonly cost: number;
  /** Bucket capacity (burst), as `X-RateLimit-Limit`. */
  readonly limit: number;
  /** Whole tokens left, as `X-RateLimit-Remaining`. */
  readonly remaining: number;
  /** Tokens in use: `limit - remaining`. */
  readonly used: number;
  /** Seconds until the quota is back, as `X-RateLimit-Reset`: for a refusal, until this request would pass; else until the bucket is full. */
  readonly reset: number;
  /** When that is, in epoch milliseconds (by the limiter's clock). */
  readonly resetAt: number;
  /** Whole seconds to wait before retrying; 0 when allowed. */
  readonly retryAfter: number;
  /** The bucket said no; with `shadow`, the request went on anyway. */
  readonly exceeded: boolean;
}

/** The info of `decision`, taken at `now` (epoch ms); `allowed` false for a request refused after the rate check (a concurrency limit). */
export function rateLimitInfo(decision: RateLimitDecision, now: number, allowed = decision.allowed): RateLimitInfo {
  const m = decision.metadata;
  const denied = !decision.allowed;
  return {
    allowed,
    tenant: m.tenantId,
    tier: m.tier,
    anonymous: m.anonymous,
    policy: m.policy,
    bucket: m.bucket,
    cost: m.cost,
    limit: m.limit,
    remaining: m.remaining,
    used: Math.max(0, m.limit - m.remaining),
    // The same numbers as the headers (headers.ts).
    reset: denied ? decision.retryAfter : m.resetAfter,
    resetAt: now + (denied ? m.retryAfterMs : m.resetAfterMs),
    retryAfter: decision.retryAfter,
    exceeded: m.exceeded,
  };
}

/** Why a request was refused for its quota: its rate, or its concurrent requests. */
export type LimitKind = 'rate_limited' | 'concurrency_limited';

/** What refusal hooks receive (the `refusal` option, the adapters' `handler` idioms): the info, and the refusal as it stands. */
export interface RefusalInfo extends RateLimitInfo {
  readonly allowed: false;
  readonly kind: LimitKind;
  /** The status the refusal is sent with (`refusal.status`, default 429). */
  readonly status: number;
  /** The problem's `detail` (`refusal.message`, default "Too many requests for tenant …"). */
  readonly message: string;
}
