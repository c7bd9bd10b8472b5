import { InvalidTenantError } from '../errors.js';

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
  readonly tier?: string;
}

/**
 * First character of every internal stem (anonymous groups). Tenant stems can never start with
 * it: {@link tenantSubject} refuses such ids whatever the tenant-id rules allow.
 */
const INTERNAL = '~';
const ANONYMOUS = `${INTERNAL}anon:`;

/**
 * The only implementation of {@link Subject}: `instanceof` is the proof a subject was minted
 * here (the class is not exported). The key stem is built when asked for, not stored: it is only
 * needed to build store keys, and a stored copy would cost every tracked tenant a string.
 */
class MintedSubject implements Subject {
  constructor(
    readonly tenantId: string,
    readonly anonymous: boolean,
    /** Tenant id, or the anonymous group. */
    private readonly stem: string,
    readonly tier?: string,
  ) {}

  get key(): string {
    return this.anonymous ? `{${ANONYMOUS}${this.stem}}` : `{${this.stem}}`;
  }
}

/** True for a subject made by {@link tenantSubject} or {@link anonymousSubject}. */
export function isSubject(value: unknown): value is Subject {
  return value instanceof MintedSubject;
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
  return new MintedSubject(tenantId, false, tenantId);
}

/** The subject of an anonymous client group (`ip:203.0.113.7`, `shared`). */
export function anonymousSubject(group: string, tier: string): Subject {
  return new MintedSubject('anonymous', true, group, tier);
}

/** Store key of a bucket; `default` is the tenant's main bucket. */
export function bucketKey(subject: Subject, bucket: string): string {
  return bucket === 'default' ? `${subject.key}:b` : `${subject.key}:b:${bucket}`;
}

/** Store key of the concurrency leases. */
export function leaseKey(subject: Subject): string {
  return `${subject.key}:c`;
}
