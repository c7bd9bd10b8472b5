import type { Tier } from '../tiers.js';

/**
 * Who a decision is about: a validated tenant, or an anonymous client group. Its `key` is the
 * store key stem `{…}`; the braces are the Redis Cluster hash tag that keeps every key of one
 * subject in one slot (tenant ids cannot contain braces).
 */
export interface Subject {
  readonly key: string;
  /** Shown in headers and bodies: the tenant id, or `anonymous`. */
  readonly tenantId: string;
  readonly anonymous: boolean;
  /** Pinned tier (anonymous clients); tenants are resolved by rules. */
  readonly tier?: Tier;
}

/** Prefix marking anonymous stems; `~` is outside the tenant-id character set, so no tenant collides. */
const ANONYMOUS = '~anon:';

export function tenantSubject(tenantId: string): Subject {
  return { key: `{${tenantId}}`, tenantId, anonymous: false };
}

export function anonymousSubject(group: string, tier: Tier): Subject {
  return { key: `{${ANONYMOUS}${group}}`, tenantId: 'anonymous', anonymous: true, tier };
}

/** Store key of a bucket; `default` is the tenant's main bucket. */
export function bucketKey(subject: Subject, bucket: string): string {
  return bucket === 'default' ? `${subject.key}:b` : `${subject.key}:b:${bucket}`;
}

/** Store key of the concurrency leases. */
export function leaseKey(subject: Subject): string {
  return `${subject.key}:c`;
}
