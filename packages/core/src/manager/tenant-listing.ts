import type { Logger } from '../observe/logger.js';
import type { FleetSync, SeenTenant } from '../store/fleet.js';
import { TimeSlice } from '../util/time-slice.js';
import { TopK } from '../util/top-k.js';
import type { TenantSummary } from './reports.js';
import { type Subject, tenantSubject } from './subject.js';
import type { TenantContext } from './tenant-context.js';
import { encodeCursor, type ListingPosition, listedBefore } from './tenant-cursor.js';
import type { PageRequest, TenantPage } from './tenant-page.js';

/** What a listing reads from the manager. */
export interface ListingSource {
  /** Every context this process tracks; iterated across event-loop turns (a live Map iterator is fine). */
  contexts(): Iterable<TenantContext>;
  /** The context this process tracks for a tenant id, if any. */
  context(tenantId: string): TenantContext | undefined;
  /** Whether an id read from the shared index is a valid tenant id: the index is data, validated like a header. */
  isTenantId(id: string): boolean;
  /** The tier of a tenant this process has not limited (rules, overrides, `resolveTier`). */
  tierOf(subject: Subject): string | Promise<string>;
  readonly fleet: FleetSync | undefined;
  /** `maxTrackedTenants`: how much of the fleet index to read from a fleet that cannot page. */
  readonly maxTracked: number;
  readonly logger: Logger;
}

/** Contexts (or entries) handled between two looks at the clock. */
const CHECK_EVERY = 256;

/**
 * One page of the tenants seen recently, in {@link listedBefore} order. Without a fleet: the
 * contexts this process tracks. With one: tenants from the fleet index (this process's counts
 * added where it has them) and this process's anonymous client groups, which the index never
 * holds; if the index cannot be read, this process's contexts alone.
 *
 * Nothing is sorted whole: a scan keeps the best `limit + 1` entries in a bounded heap (the
 * extra one tells whether another page follows) and yields to the event loop every few ms, so
 * listing hundreds of thousands of tenants does not stall the requests this process serves.
 */
export async function listTenantPage(source: ListingSource, request: PageRequest): Promise<TenantPage> {
  const { limit, after } = request;
  const want = limit + 1;
  const slice = new TimeSlice();
  let top: TenantSummary[] | undefined;
  if (source.fleet) {
    try {
      top = await fleetTop(source, source.fleet, want, after, slice);
    } catch (err) {
      source.logger.warn({ err }, 'could not list fleet-wide tenants; showing this instance only');
    }
  }
  top ??= await localTop(source, want, after, false, slice);
  if (top.length <= limit) return { tenants: top, nextCursor: null };
  const tenants = top.slice(0, limit);
  return { tenants, nextCursor: encodeCursor(tenants[limit - 1] as TenantSummary) };
}

/** The best `want` contexts after `after` that have made a decision (only anonymous ones if asked), in order. */
async function localTop(
  source: ListingSource,
  want: number,
  after: ListingPosition | undefined,
  anonymousOnly: boolean,
  slice: TimeSlice,
): Promise<TenantSummary[]> {
  const heap = new TopK<TenantSummary>(want, listedBefore);
  let n = 0;
  for (const c of source.contexts()) {
    if (++n % CHECK_EVERY === 0 && slice.due()) await slice.next();
    if (!c.seen) continue;
    const s = c.subject;
    if (anonymousOnly && !s.anonymous) continue;
    const tenantId = s.anonymous ? s.key : s.tenantId;
    // At or before the cursor: listed on an earlier page.
    if (after !== undefined && !(c.lastSeen < after.lastSeen || (c.lastSeen === after.lastSeen && tenantId < after.tenantId))) continue;
    heap.offer({ tenantId, key: s.key, tier: c.tier, anonymous: s.anonymous, lastSeen: c.lastSeen, allowed: c.allowed, denied: c.denied });
  }
  return drain(heap, slice);
}

/** The heap's items, best first. Popping worst first fills the array from its end, in slices too: a heap can hold a whole listing. */
async function drain<T>(heap: TopK<T>, slice: TimeSlice): Promise<T[]> {
  const out = new Array<T>(heap.size);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = heap.popWorst() as T;
    if (i % CHECK_EVERY === 0 && slice.due()) await slice.next();
  }
  return out;
}

/** The best `want` entries after `after`: tenants from the fleet index merged with this process's anonymous groups. */
async function fleetTop(source: ListingSource, fleet: FleetSync, want: number, after: ListingPosition | undefined, slice: TimeSlice): Promise<TenantSummary[]> {
  const seen = await fleetPage(source, fleet, want, after, slice);
  const anonymous = await localTop(source, want, after, true, slice);
  const out: TenantSummary[] = [];
  let i = 0;
  let j = 0;
  while (out.length < want && (i < seen.length || j < anonymous.length)) {
    const s = seen[i];
    const a = anonymous[j];
    if (s !== undefined && (a === undefined || listedBefore(s, a))) {
      out.push(await fleetSummary(source, s));
      i++;
    } else {
      out.push(a as TenantSummary);
      j++;
    }
    if (out.length % CHECK_EVERY === 0 && slice.due()) await slice.next();
  }
  return out;
}

/** Up to `want` index entries after `after`, in listing order. */
async function fleetPage(source: ListingSource, fleet: FleetSync, want: number, after: ListingPosition | undefined, slice: TimeSlice): Promise<SeenTenant[]> {
  const bound = source.maxTracked;
  // A fleet that cannot page: read what getAllTenantStatus always read, and page in memory.
  const seen =
    after === undefined ? await fleet.listSeen(fleet.listSeenAfter ? want : bound) : await (fleet.listSeenAfter?.(after, want) ?? fleet.listSeen(bound));
  // Filtered and ordered here whatever the fleet did: a fleet breaking ties its own way cannot upset the merge.
  const heap = new TopK<SeenTenant>(want, listedBefore);
  let n = 0;
  for (const s of seen) {
    if (++n % CHECK_EVERY === 0 && slice.due()) await slice.next();
    if ((after === undefined || listedBefore(after, s)) && source.isTenantId(s.tenantId)) heap.offer(s);
  }
  return drain(heap, slice);
}

/**
 * A fleet index entry as a summary: counts and tier from this process's context when it has
 * one (no tier lookup), otherwise its tier from rules, overrides or `resolveTier` (cached).
 */
async function fleetSummary(source: ListingSource, seen: SeenTenant): Promise<TenantSummary> {
  const ctx = source.context(seen.tenantId);
  const subject = ctx?.subject ?? tenantSubject(seen.tenantId);
  let tier: string;
  if (ctx?.seen) tier = ctx.tier;
  else {
    const resolved = source.tierOf(subject);
    tier = typeof resolved === 'string' ? resolved : await resolved;
  }
  return {
    tenantId: seen.tenantId,
    key: subject.key,
    tier,
    anonymous: false,
    lastSeen: seen.lastSeen,
    allowed: ctx?.allowed ?? 0,
    denied: ctx?.denied ?? 0,
  };
}
