import type { ConcurrencySlot, RateLimitDecision } from '../manager/decision.js';
import { policyHeaderValues } from './policy-headers.js';

/** Which header families to send. */
export interface HeaderFamilies {
  /** `X-RateLimit-Limit`, `-Remaining`, `-Reset`. */
  readonly legacy: boolean;
  /** IETF `RateLimit-Policy` and `RateLimit` (structured-field lists). */
  readonly ietf: boolean;
  /** `X-RateLimit-Tenant` and `X-RateLimit-Tier`. */
  readonly tenant: boolean;
}

export const ALL_HEADER_FAMILIES: HeaderFamilies = Object.freeze({ legacy: true, ietf: true, tenant: true });

/**
 * Headers for a decision. Values are strings (Fastify 5 rejects numbers). Denials always carry
 * `Retry-After` (whole seconds, rounded up, at least 1) and the tenant/tier headers; the
 * `RateLimit` field's `t` is never later than `Retry-After`.
 */
export function rateLimitHeaders(decision: RateLimitDecision, families: HeaderFamilies = ALL_HEADER_FAMILIES): Record<string, string> {
  const m = decision.metadata;
  const headers: Record<string, string> = {};
  if (m.skipped) return headers;
  const denied = !decision.allowed;
  // Seconds until the quota is back: for a denial, when this request would pass; else when full.
  const reset = denied ? decision.retryAfter : m.resetAfter;
  const policy = policyHeaderValues(m.policy, m.limit, m.windowSeconds);
  if (families.legacy) {
    headers['X-RateLimit-Limit'] = policy.limitValue;
    headers['X-RateLimit-Remaining'] = String(m.remaining);
    headers['X-RateLimit-Reset'] = String(reset);
  }
  if (families.ietf) {
    headers['RateLimit-Policy'] = policy.policyValue;
    headers.RateLimit = `${policy.quotedName};r=${m.remaining};t=${reset}`;
  }
  if (families.tenant || denied) {
    headers['X-RateLimit-Tenant'] = m.tenantId;
    headers['X-RateLimit-Tier'] = m.tier;
  }
  if (denied) headers['Retry-After'] = String(decision.retryAfter);
  return headers;
}

/** Seconds a client should wait after a concurrency denial: slots free as requests finish. */
export const CONCURRENCY_RETRY_AFTER = 1;

/** Headers for a concurrency denial. */
export function concurrencyHeaders(slot: ConcurrencySlot): Record<string, string> {
  return {
    'Retry-After': String(CONCURRENCY_RETRY_AFTER),
    'X-RateLimit-Tenant': slot.tenantId,
    'X-RateLimit-Tier': slot.tier,
    'X-Concurrency-Limit': String(slot.limit),
  };
}
