import { describe, expect, it, vi } from 'vitest';
import {
  createRateLimitManager,
  InvalidArgumentError,
  type RateLimitManager,
  type RateLimitManagerOptions,
  type TenantPage,
  type TenantSummary,
} from '../src/index.js';
import { FakeClock, FakeFleet, PagingFleet, recordingLogger, rejected, ScriptedStore } from './support.js';

function setup(options: RateLimitManagerOptions = {}) {
  const clock = new FakeClock();
  const m = createRateLimitManager({ env: false, load: { enabled: false }, clock, ...options });
  return { clock, m };
}

function fleetSetup(fleet: FakeFleet = new PagingFleet(), options: RateLimitManagerOptions = {}) {
  const clock = new FakeClock();
  const primary = new ScriptedStore(clock);
  primary.fleet = fleet;
  const log = recordingLogger();
  const m = createRateLimitManager({ env: false, load: { enabled: false }, clock, store: primary, logger: log.logger, ...options });
  return { m, fleet, clock, log };
}

/** Every page of a listing, following nextCursor to the end. */
async function walk(m: RateLimitManager, limit: number): Promise<{ pages: TenantPage[]; ids: string[] }> {
  const pages: TenantPage[] = [];
  let cursor: string | null = null;
  do {
    const page: TenantPage = await m.listTenants({ limit, cursor });
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < 1000);
  return { pages, ids: pages.flatMap((p) => p.tenants.map((t) => t.tenantId)) };
}

/** The listing order, written out: most recent first, ties by id descending. */
function listingOrder(entries: Array<Pick<TenantSummary, 'tenantId' | 'lastSeen'>>): string[] {
  return [...entries].sort((a, b) => b.lastSeen - a.lastSeen || (a.tenantId < b.tenantId ? 1 : a.tenantId > b.tenantId ? -1 : 0)).map((e) => e.tenantId);
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');

describe('listTenants without a fleet', () => {
  it('lists most recent first, ties by id descending, with tier and counts', async () => {
    const { m, clock } = setup({ tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] });
    const t0 = clock.now();
    await m.checkRateLimit('alpha');
    await m.checkRateLimit('ent-beta', '/', { cost: 1 });
    await m.checkRateLimit(m.anonymous('ip:203.0.113.7'));
    clock.advance(1);
    await m.checkRateLimit('gamma', '/', { cost: 11 }); // more than the free burst: denied
    const page = await m.listTenants();
    expect(page.nextCursor).toBeNull();
    expect(page.tenants).toEqual([
      { tenantId: 'gamma', key: '{gamma}', tier: 'free', anonymous: false, lastSeen: t0 + 1, allowed: 0, denied: 1 },
      { tenantId: '{~anon:ip:203.0.113.7}', key: '{~anon:ip:203.0.113.7}', tier: 'free', anonymous: true, lastSeen: t0, allowed: 1, denied: 0 },
      { tenantId: 'ent-beta', key: '{ent-beta}', tier: 'enterprise', anonymous: false, lastSeen: t0, allowed: 1, denied: 0 },
      { tenantId: 'alpha', key: '{alpha}', tier: 'free', anonymous: false, lastSeen: t0, allowed: 1, denied: 0 },
    ]);
  });

  it('pages through ties with a stable cursor: every tenant once, in listing order, then nextCursor null', async () => {
    const { m, clock } = setup();
    const seen: Array<{ tenantId: string; lastSeen: number }> = [];
    // 37 tenants in groups of five sharing a millisecond: pages of 4 split every group of ties.
    for (let i = 0; i < 37; i++) {
      if (i % 5 === 0) clock.advance(1);
      const tenantId = `t-${(i * 7) % 37}`;
      await m.checkRateLimit(tenantId);
      seen.push({ tenantId, lastSeen: clock.now() });
    }
    const { pages, ids } = await walk(m, 4);
    expect(ids).toEqual(listingOrder(seen));
    expect(pages).toHaveLength(10);
    expect(pages.slice(0, -1).every((p) => p.tenants.length === 4 && typeof p.nextCursor === 'string')).toBe(true);
    expect(pages.at(-1)).toMatchObject({ nextCursor: null });
    expect(pages.at(-1)?.tenants).toHaveLength(1);
    // The same cursor gives the same page again.
    const again = await m.listTenants({ limit: 4, cursor: pages[3]?.nextCursor });
    expect(again).toEqual(pages[4]);
  });

  it('a tenant seen again while paging moves to the front: the walk lists nobody twice and goes on', async () => {
    const { m, clock } = setup();
    for (let i = 0; i < 10; i++) {
      clock.advance(1);
      await m.checkRateLimit(`t-${i}`);
    }
    const first = await m.listTenants({ limit: 3 });
    expect(first.tenants.map((t) => t.tenantId)).toEqual(['t-9', 't-8', 't-7']);
    clock.advance(1);
    await m.checkRateLimit('t-7'); // the cursor's own tenant
    await m.checkRateLimit('t-2'); // one the walk has not reached
    const rest: string[] = [];
    let cursor = first.nextCursor;
    while (cursor !== null) {
      const page = await m.listTenants({ limit: 3, cursor });
      rest.push(...page.tenants.map((t) => t.tenantId));
      cursor = page.nextCursor;
    }
    expect(rest).toEqual(['t-6', 't-5', 't-4', 't-3', 't-1', 't-0']);
  });

  it('answers 100 entries by default and up to 1000 when asked', async () => {
    const { m } = setup();
    for (let i = 0; i < 1005; i++) await m.checkRateLimit(`t-${i}`);
    expect((await m.listTenants()).tenants).toHaveLength(100);
    const big = await m.listTenants({ limit: 1000 });
    expect(big.tenants).toHaveLength(1000);
    const last = await m.listTenants({ limit: 1000, cursor: big.nextCursor });
    expect(last.tenants).toHaveLength(5);
    expect(last.nextCursor).toBeNull();
    expect(new Set([...big.tenants, ...last.tenants].map((t) => t.tenantId)).size).toBe(1005);
  });

  it.each<[string, unknown]>([
    ['0', 0],
    ['-1', -1],
    ['1001', 1001],
    ['1.5', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a string', '10'],
  ])('refuses a limit of %s, naming the parameter', async (_name, limit) => {
    const { m } = setup();
    const error = await rejected(m.listTenants({ limit: limit as number }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/^limit must be a whole number from 1 to 1000, got /);
  });

  it.each<[string, unknown]>([
    ['characters outside base64url', 'not a cursor!'],
    ['base64url that is not JSON', base64url('hello')],
    ['JSON that is not a pair', base64url('{"lastSeen":1,"tenantId":"a"}')],
    ['a pair with a string time', base64url('["1","a"]')],
    ['a negative time', base64url('[-1,"a"]')],
    ['an empty id', base64url('[1,""]')],
    ['a cursor too long to be one', base64url(JSON.stringify([1, 'a'.repeat(2000)]))],
    ['a number', 42],
  ])('refuses a cursor with %s, naming the parameter', async (_name, cursor) => {
    const { m } = setup();
    await m.checkRateLimit('acme');
    const error = await rejected(m.listTenants({ cursor: cursor as string }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/^cursor /);
  });

  it('takes an absent, null or empty cursor as the first page', async () => {
    const { m } = setup();
    await m.checkRateLimit('acme');
    for (const cursor of [undefined, null, '']) expect((await m.listTenants({ cursor })).tenants.map((t) => t.tenantId)).toEqual(['acme']);
  });

  it('reads tiers from the tracked contexts: a listing asks resolveTier nothing', async () => {
    const resolveTier = vi.fn(() => 'premium' as const);
    const { m } = setup({ resolveTier });
    for (let i = 0; i < 50; i++) await m.checkRateLimit(`t-${i}`);
    const asked = resolveTier.mock.calls.length;
    await walk(m, 7);
    await m.getAllTenantStatus();
    expect(resolveTier).toHaveBeenCalledTimes(asked);
    expect((await m.listTenants()).tenants.every((t) => t.tier === 'premium')).toBe(true);
  });

  it('getAllTenantStatus lists what a walk of every page lists, beyond one page', async () => {
    const { m, clock } = setup();
    for (let i = 0; i < 2_500; i++) {
      if (i % 3 === 0) clock.advance(1);
      await m.checkRateLimit(`t-${i}`);
    }
    const all = await m.getAllTenantStatus();
    expect(all).toHaveLength(2_500);
    expect(all.map((t) => t.tenantId)).toEqual((await walk(m, 1000)).ids);
    expect(all.map((t) => t.tenantId)).toEqual(listingOrder(all));
  });
});

describe('listTenants with a fleet', () => {
  it('lists tenants from the fleet index with local counts, merged with local anonymous groups, page by page', async () => {
    const { m, fleet, clock } = fleetSetup();
    const t0 = clock.now();
    await m.checkRateLimit('local');
    await m.checkRateLimit('local');
    await m.checkRateLimit(m.anonymous('ip:203.0.113.7'));
    clock.advance(2);
    await m.checkRateLimit(m.anonymous('ip:198.51.100.1'));
    fleet.recordSeen('remote-a', 'free', t0 + 1);
    fleet.recordSeen('remote-b', 'free', t0 + 2);
    fleet.recordSeen('remote-c', 'free', t0);
    const { pages, ids } = await walk(m, 2);
    expect(ids).toEqual(['{~anon:ip:198.51.100.1}', 'remote-b', 'remote-a', '{~anon:ip:203.0.113.7}', 'remote-c', 'local']);
    expect(pages.map((p) => p.tenants.length)).toEqual([2, 2, 2]);
    expect(pages.flatMap((p) => p.tenants).find((t) => t.tenantId === 'local')).toEqual({
      tenantId: 'local',
      key: '{local}',
      tier: 'free',
      anonymous: false,
      lastSeen: t0,
      allowed: 2,
      denied: 0,
    });
    expect(pages.flatMap((p) => p.tenants).find((t) => t.tenantId === 'remote-a')).toMatchObject({ allowed: 0, denied: 0, anonymous: false });
    // The fleet was asked for one page (plus one) at a time, from the cursor on.
    expect(fleet.listed).toEqual([
      { limit: 3 },
      { limit: 3, after: { tenantId: 'remote-b', lastSeen: t0 + 2 } },
      { limit: 3, after: { tenantId: '{~anon:ip:203.0.113.7}', lastSeen: t0 } },
    ]);
  });

  it('pages a fleet that cannot page (no listSeenAfter) in memory, from listSeen(maxTrackedTenants)', async () => {
    const { m, fleet, clock } = fleetSetup(new FakeFleet(), { maxTrackedTenants: 1000 });
    const seen: Array<{ tenantId: string; lastSeen: number }> = [];
    for (let i = 0; i < 23; i++) {
      const entry = { tenantId: `remote-${i}`, lastSeen: clock.now() + (i % 4) };
      fleet.recordSeen(entry.tenantId, 'free', entry.lastSeen);
      seen.push(entry);
    }
    const { ids } = await walk(m, 5);
    expect(ids).toEqual(listingOrder(seen));
    expect(fleet.listed.every((call) => call.limit === 1000)).toBe(true);
  });

  it('gives a fleet-only tenant its tier from overrides and rules, and keeps the cached tier of a tracked one', async () => {
    const resolveTier = vi.fn(() => 'basic' as const);
    const { m, fleet, clock } = fleetSetup(new PagingFleet(), {
      resolveTier,
      tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }],
      overrides: { pinned: { tier: 'premium' } },
    });
    await m.checkRateLimit('tracked');
    const asked = resolveTier.mock.calls.length;
    for (const id of ['ent-x', 'pinned', 'tracked']) fleet.recordSeen(id, 'free', clock.now() + 1);
    const tiers = Object.fromEntries((await m.listTenants()).tenants.map((t) => [t.tenantId, t.tier]));
    expect(tiers).toEqual({ 'ent-x': 'enterprise', pinned: 'premium', tracked: 'basic' });
    expect(resolveTier).toHaveBeenCalledTimes(asked);
  });

  it('lists this instance alone when the fleet index cannot be read, cursor included', async () => {
    const { m, fleet, clock, log } = fleetSetup();
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      await m.checkRateLimit(`t-${i}`);
    }
    const first = await m.listTenants({ limit: 2 });
    fleet.failing = true;
    const second = await m.listTenants({ limit: 2, cursor: first.nextCursor });
    expect(second.tenants.map((t) => t.tenantId)).toEqual(['t-2', 't-1']);
    expect(log.lines.some((l) => l.level === 'warn' && /fleet-wide tenants/.test(l.msg ?? ''))).toBe(true);
  });
});
