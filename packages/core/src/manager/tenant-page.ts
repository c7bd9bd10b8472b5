import { InvalidArgumentError } from '../errors.js';
import type { TenantSummary } from './reports.js';
import { decodeCursor, type ListingPosition } from './tenant-cursor.js';

/** Page size of {@link RateLimitManager.listTenants} and `GET /tenants` when none is asked for. */
export const DEFAULT_TENANT_PAGE_LIMIT = 100;
/** Largest page size {@link RateLimitManager.listTenants} and `GET /tenants` accept. */
export const MAX_TENANT_PAGE_LIMIT = 1000;

/** Options of {@link RateLimitManager.listTenants}. */
export interface ListTenantsOptions {
  /** Entries per page: a whole number from 1 to {@link MAX_TENANT_PAGE_LIMIT}. @default 100 */
  limit?: number;
  /** The `nextCursor` of the previous page, unchanged; absent, `null` or `''` for the first page. */
  cursor?: string | null;
}

/** One page of a tenant listing. */
export interface TenantPage {
  /** Most recently seen first; ties by `tenantId`, descending. */
  readonly tenants: TenantSummary[];
  /** Pass it as `cursor` to get the next page; `null` on the last one. */
  readonly nextCursor: string | null;
}

/** A validated page request: how many entries, after which position (`undefined`: from the start). */
export interface PageRequest {
  readonly limit: number;
  readonly after: ListingPosition | undefined;
}

/** The error for a page size out of bounds; `shown` is the value as the caller gave it. */
export function invalidLimit(shown: string): InvalidArgumentError {
  return new InvalidArgumentError(`limit must be a whole number from 1 to ${MAX_TENANT_PAGE_LIMIT}, got ${shown}`);
}

/**
 * Validates {@link ListTenantsOptions}.
 * @throws InvalidArgumentError naming `limit` or `cursor`
 */
export function pageRequest(options: ListTenantsOptions): PageRequest {
  const limit: unknown = options.limit ?? DEFAULT_TENANT_PAGE_LIMIT;
  if (!(Number.isSafeInteger(limit) && (limit as number) >= 1 && (limit as number) <= MAX_TENANT_PAGE_LIMIT)) {
    throw invalidLimit(typeof limit === 'string' ? JSON.stringify(limit) : String(limit));
  }
  const cursor: unknown = options.cursor;
  if (cursor !== undefined && cursor !== null && typeof cursor !== 'string') throw new InvalidArgumentError('cursor must be a string');
  return { limit: limit as number, after: cursor ? decodeCursor(cursor) : undefined };
}
