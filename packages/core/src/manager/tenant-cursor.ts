import { InvalidArgumentError } from '../errors.js';

/** Where an entry sits in a tenant listing. */
export interface ListingPosition {
  /** Epoch ms. */
  readonly lastSeen: number;
  /** The tenant id, or an anonymous client group's store key (`{~anon:…}`). */
  readonly tenantId: string;
}

/**
 * True when `a` is listed before `b`: most recently seen first, ties by id, descending. That tie
 * order is the one Redis's ZREVRANGE gives members of equal score (byte order, which for the
 * ASCII ids of tenants and client groups is JavaScript's string order), so a listing from this
 * process and one from the fleet index page alike.
 */
export function listedBefore(a: ListingPosition, b: ListingPosition): boolean {
  return a.lastSeen > b.lastSeen || (a.lastSeen === b.lastSeen && a.tenantId > b.tenantId);
}

/** Longest cursor accepted: far above any real one (ids are short), low enough to refuse junk unread. */
const MAX_CURSOR_LENGTH = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The opaque cursor resuming a listing after `position`: base64url of the JSON `[lastSeen, id]`. */
export function encodeCursor(position: ListingPosition): string {
  return Buffer.from(JSON.stringify([position.lastSeen, position.tenantId])).toString('base64url');
}

/**
 * The position a cursor from {@link encodeCursor} resumes after.
 * @throws InvalidArgumentError for anything else
 */
export function decodeCursor(cursor: string): ListingPosition {
  const malformed = () => new InvalidArgumentError('cursor is malformed: pass the nextCursor of a previous page unchanged');
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw malformed();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw malformed();
  const [lastSeen, tenantId] = parsed as unknown[];
  if (typeof lastSeen !== 'number' || !Number.isFinite(lastSeen) || lastSeen < 0) throw malformed();
  if (typeof tenantId !== 'string' || tenantId.length === 0) throw malformed();
  return { lastSeen, tenantId };
}
