import { InvalidTenantError } from '../errors.js';
import type { Tier } from '../tiers.js';

/**
 * Who a decision is about: a validated tenant, or an anonymous client group. Its `key` is the
 * store key stem `{…}`; the braces are the Redis Cluster hash tag that keeps every key of one
 * subject in one slot (tenant ids cannot contain braces).
 *
 * Subjects are minted only by {@link tenantSubject} and {@link anonymousSubject} (the manager's
 * `tenant()` and `anonymous()`); the manager refuses any other object, so a caller cannot forge
 * one that names another subject's keys.
 */
export interface Subject {
  readonly key: string;
  /** Shown in headers and bodies: the tenant id, or `anonymous`. */
  readonly tenantId: string;
  readonly anonymous: boolean;
  /** Pinned tier (anonymous clients); tenants are resolved by rules. */
  readonly tier?: Tier;
}

/**
 * First character of every internal stem (anonymous groups). Tenant stems can never start with
 * it: {@link tenantSubject} refuses such ids whatever the tenant-id rules allow.
 */
const INTERNAL = '~';
const ANONYMOUS = `${INTERNAL}anon:`;

const minted = new WeakSet<Subject>();

/** True for a subject made by {@link tenantSubject} or {@link anonymousSubject}. */
export function isSubject(value: unknown): value is Subject {
  return typeof value === 'object' && value !== null && minted.has(value as Subject);
}

/**
 * The subject of a tenant id. The key stem is exactly `{tenantId}`; an id that could name an
 * internal stem (leading `~`) or break the hash tag (braces) is refused here, so no tenant id can
 * reach an anonymous bucket even under permissive `tenantIdRules`.
 * @throws InvalidTenantError for such an id (full validation is the caller's: see `assertTenantId`)
 */
export function tenantSubject(tenantId: string): Subject {
  if (typeof tenantId !== 'string' || tenantId.startsWith(INTERNAL) || /[{}]/.test(tenantId)) {
    throw new InvalidTenantError(typeof tenantId !== 'string' ? 'must be a string' : 'must not start with ~ or contain braces');
  }
  return mint({ key: `{${tenantId}}`, tenantId, anonymous: false });
}

/** The subject of an anonymous client group (`ip:203.0.113.7`, `shared`). */
export function anonymousSubject(group: string, tier: Tier): Subject {
  return mint({ key: `{${ANONYMOUS}${group}}`, tenantId: 'anonymous', anonymous: true, tier });
}

function mint(subject: Subject): Subject {
  minted.add(subject);
  return subject;
}

/** Store key of a bucket; `default` is the tenant's main bucket. */
export function bucketKey(subject: Subject, bucket: string): string {
  return bucket === 'default' ? `${subject.key}:b` : `${subject.key}:b:${bucket}`;
}

/** Store key of the concurrency leases. */
export function leaseKey(subject: Subject): string {
  return `${subject.key}:c`;
}
