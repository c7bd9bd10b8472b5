import { describe, expect, it, vi } from 'vitest';
import {
  type CircuitStateChange,
  ClosedError,
  createRateLimitManager,
  type DecisionEvent,
  DEFAULT_TIER_QUOTAS,
  getRateLimitManager,
  InvalidArgumentError,
  InvalidTenantError,
  MemoryStore,
  RateLimitConfigError,
  type RateLimitManager,
  type RateLimitManagerOptions,
  type ResolveTier,
  setRateLimitManager,
  StoreUnavailableError,
} from '../src/index.js';
import { ResilientStore } from '../src/store.js';
import { FakeClock, FakeFleet, issueKeys, ManualTimers, recordingLogger, rejected, ScriptedStore, thrown } from './support.js';

function setup(options: RateLimitManagerOptions = {}) {
  const clock = new FakeClock();
  const m = createRateLimitManager({ env: false, load: { enabled: false }, clock, ...options });
  return { clock, m };
}

async function hit(m: RateLimitManager, tenant: string, n: number, path = '/v1/items', options = {}) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await m.checkRateLimit(tenant, path, options));
  return out;
}

describe('checkRateLimit basics', () => {
  it('returns the whole decision for a free tenant', async () => {
    const { m } = setup();
    const d = await m.checkRateLimit('acme-corp', '/v1/items/42?x=1', { method: 'GET' });
    expect(d).toEqual({
      allowed: true,
      retryAfter: 0,
      metadata: {
        allowed: true,
        tenantId: 'acme-corp',
        tier: 'free',
        anonymous: false,
        path: '/v1/items/42',
        route: '/v1/items/:id',
        bucket: 'default',
        policy: 'free',
        cost: 1,
        limit: 10,
        remaining: 9,
        requestsPerSecond: 5,
        windowSeconds: 2,
        resetAfter: 1,
        resetAfterMs: 200,
        retryAfterMs: 0,
        loadFactor: 1,
        source: 'primary',
        exceeded: false,
        shadow: false,
        skipped: false,
      },
    });
  });

  it('admits exactly the free burst of 10, then refuses with retryAfter in whole seconds', async () => {
    const { m, clock } = setup();
    const ds = await hit(m, 'acme-corp', 11);
    expect(ds.filter((d) => d.allowed)).toHaveLength(10);
    expect(ds[10]).toMatchObject({ allowed: false, retryAfter: 1, metadata: { exceeded: true, reason: 'rate_limited', remaining: 0, retryAfterMs: 200 } });
    clock.advance(1000);
    expect((await hit(m, 'acme-corp', 6)).map((d) => d.allowed)).toEqual([true, true, true, true, true, false]);
  });

  it('keeps tenants apart', async () => {
    const { m } = setup();
    await hit(m, 'acme-corp', 10);
    expect((await m.checkRateLimit('acme-corp')).allowed).toBe(false);
    expect((await m.checkRateLimit('globex')).allowed).toBe(true);
  });

  it('takes a cost, and refuses a bad one with InvalidArgumentError', async () => {
    const { m } = setup();
    expect((await m.checkRateLimit('acme-corp', '/', { cost: 4 })).metadata).toMatchObject({ cost: 4, remaining: 6 });
    for (const cost of [0, -1, 1.5, Number.NaN]) expect(await rejected(m.checkRateLimit('acme-corp', '/', { cost }))).toBeInstanceOf(InvalidArgumentError);
  });

  it('refuses a cost larger than the bucket with reason cost_exceeds_burst', async () => {
    const { m } = setup();
    const d = await m.checkRateLimit('acme-corp', '/', { cost: 11 });
    expect(d.allowed).toBe(false);
    expect(d.retryAfter).toBeGreaterThanOrEqual(1);
    expect(d.metadata.reason).toBe('cost_exceeds_burst');
  });

  it('refuses an invalid tenant id with InvalidTenantError, never a shared bucket', async () => {
    const { m } = setup();
    for (const id of ['', 'a b', '{x}', 'é']) expect(await rejected(m.checkRateLimit(id))).toBeInstanceOf(InvalidTenantError);
    expect(thrown(() => m.tenant('bad id'))).toBeInstanceOf(InvalidTenantError);
    expect(await m.getAllTenantStatus()).toEqual([]);
  });

  it('honours custom tenant id rules', async () => {
    const { m } = setup({ tenantIdRules: { maxLength: 4 } });
    expect(await rejected(m.checkRateLimit('abcde'))).toBeInstanceOf(InvalidTenantError);
    expect((await m.checkRateLimit('abcd')).allowed).toBe(true);
  });

  it('takes a ready subject', async () => {
    const { m } = setup();
    const d = await m.checkRateLimit(m.tenant('acme-corp'));
    expect(d.metadata.tenantId).toBe('acme-corp');
  });

  it('limits anonymous subjects under their pinned tier, apart from tenants', async () => {
    const { m } = setup({ overrides: { anonymous: { burstSize: 1 } } });
    const anon = m.anonymous('ip:203.0.113.7', 'basic');
    const d = await m.checkRateLimit(anon);
    expect(d.metadata).toMatchObject({ tenantId: 'anonymous', anonymous: true, tier: 'basic', limit: 40 });
    const other = await m.checkRateLimit(m.anonymous('ip:203.0.113.8'));
    expect(other.metadata).toMatchObject({ tier: 'free', remaining: 9 });
  });
});

describe('tiers', () => {
  it('uses the first matching tier rule', async () => {
    const { m } = setup({
      tierRules: [
        { pattern: 'ent-trial-*', tier: 'basic' },
        { pattern: 'ent-*', tier: 'enterprise' },
        { pattern: /^prem-/, tier: 'premium' },
      ],
    });
    expect((await m.checkRateLimit('ent-trial-1')).metadata.tier).toBe('basic');
    expect((await m.checkRateLimit('ent-acme')).metadata).toMatchObject({ tier: 'enterprise', limit: 1000, requestsPerSecond: 500 });
    expect((await m.checkRateLimit('prem-x')).metadata.tier).toBe('premium');
    expect((await m.checkRateLimit('nobody')).metadata.tier).toBe('free');
  });

  it('uses the configured default tier', async () => {
    const { m } = setup({ defaultTier: 'basic' });
    expect((await m.checkRateLimit('x')).metadata).toMatchObject({ tier: 'basic', limit: 40 });
  });

  it('asks resolveTier (async) for tenants no rule matches, and caches the answer', async () => {
    const resolveTier = vi.fn<ResolveTier>(async (id) => (id === 'big' ? 'premium' : undefined));
    const { m } = setup({ resolveTier, tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] });
    for (let i = 0; i < 5; i++) expect((await m.checkRateLimit('big')).metadata.tier).toBe('premium');
    expect((await m.checkRateLimit('small')).metadata.tier).toBe('free');
    expect((await m.checkRateLimit('ent-1')).metadata.tier).toBe('enterprise');
    expect(resolveTier).toHaveBeenCalledTimes(2);
  });

  it('re-asks resolveTier after the cache TTL', async () => {
    const resolveTier = vi.fn<ResolveTier>(() => 'basic');
    const { m, clock } = setup({ resolveTier, tierCache: { ttlMs: 100 } });
    await m.checkRateLimit('t');
    clock.advance(100);
    await m.checkRateLimit('t');
    expect(resolveTier).toHaveBeenCalledTimes(2);
  });

  it('falls back to the default tier when resolveTier fails, and logs it', async () => {
    const log = recordingLogger();
    const { m } = setup({
      defaultTier: 'basic',
      logger: log.logger,
      resolveTier: async () => {
        throw new Error('db down');
      },
    });
    const d = await m.checkRateLimit('acme-corp');
    expect(d.allowed).toBe(true);
    expect(d.metadata.tier).toBe('basic');
    expect(log.lines.some((l) => l.level === 'warn' && /resolveTier failed/.test(l.msg ?? ''))).toBe(true);
  });

  it('lets overrides beat tier rules and resolveTier', async () => {
    const resolveTier = vi.fn<ResolveTier>(() => 'premium');
    const { m } = setup({
      tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }],
      resolveTier,
      overrides: { 'ent-small': { tier: 'basic' }, looked: { tier: 'free', burstSize: 3 } },
    });
    expect((await m.checkRateLimit('ent-small')).metadata).toMatchObject({ tier: 'basic', limit: 40 });
    expect((await m.checkRateLimit('looked')).metadata).toMatchObject({ tier: 'free', limit: 3 });
    expect(resolveTier).not.toHaveBeenCalled();
  });

  it('merges an override quota over the tenant tier', async () => {
    const { m } = setup({ tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }], overrides: { 'ent-x': { burstSize: 7 } } });
    const d = await m.checkRateLimit('ent-x');
    expect(d.metadata).toMatchObject({ tier: 'enterprise', limit: 7, requestsPerSecond: 500 });
  });

  it('sets, reads and removes overrides at run time', async () => {
    const { m } = setup();
    await m.setTenantOverride('acme-corp', { burstSize: 2, tier: 'premium' });
    expect(m.getTenantOverride('acme-corp')).toEqual({ burstSize: 2, tier: 'premium' });
    const ds = await hit(m, 'acme-corp', 3);
    expect(ds.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(ds[0]?.metadata).toMatchObject({ tier: 'premium', limit: 2, requestsPerSecond: 100 });
    expect(await m.removeTenantOverride('acme-corp')).toBe(true);
    expect(await m.removeTenantOverride('acme-corp')).toBe(false);
    expect((await m.checkRateLimit('globex')).metadata.limit).toBe(10);
  });

  it('refuses a bad override', async () => {
    const { m } = setup();
    expect(thrown(() => m.setTenantOverride('bad id', { burstSize: 2 }))).toBeInstanceOf(InvalidTenantError);
    const error = thrown(() => m.setTenantOverride('acme', { burstSize: 0, tier: 'gold' as 'free', rps: 1 } as never));
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect(issueKeys(error).sort()).toEqual(['quota.burstSize', 'quota.rps', 'quota.tier']);
    expect(await rejected(m.removeTenantOverride(''))).toBeInstanceOf(InvalidTenantError);
  });

  it('copies overrides so later changes to the caller object do not leak in', async () => {
    const quota = { burstSize: 2 };
    const { m } = setup();
    await m.setTenantOverride('acme', quota);
    quota.burstSize = 1000;
    expect(m.getTenantOverride('acme')).toEqual({ burstSize: 2 });
  });
});

describe('route rules', () => {
  const routes = [
    { path: '/v1/export', method: 'POST', cost: 5 },
    { path: '/v1/search', bucket: 'search', quota: { requestsPerSecond: 1, burstSize: 2 } },
    { path: '/v1/reports/:id', bucket: 'reports', quota: { premium: { requestsPerSecond: 1, burstSize: 1 } } },
    { path: '/v1/own', bucket: 'own' },
    { path: '/v1/beta/**', shadow: true },
    { path: '/health', skip: true },
  ];

  it('charges the route cost, for the listed method only', async () => {
    const { m } = setup({ routes });
    expect((await m.checkRateLimit('acme', '/v1/export', { method: 'post' })).metadata).toMatchObject({ cost: 5, remaining: 5, route: '/v1/export' });
    expect((await m.checkRateLimit('acme', '/v1/export', { method: 'GET' })).metadata).toMatchObject({ cost: 1, remaining: 4 });
  });

  it('lets the cost option beat the route cost', async () => {
    const { m } = setup({ routes });
    expect((await m.checkRateLimit('acme', '/v1/export', { method: 'POST', cost: 2 })).metadata.cost).toBe(2);
  });

  it('counts a bucket route apart from the main bucket, with its own quota', async () => {
    const { m } = setup({ routes });
    const ds = await hit(m, 'acme', 3, '/v1/search');
    expect(ds.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(ds[0]?.metadata).toMatchObject({ bucket: 'search', policy: 'free-search', limit: 2, requestsPerSecond: 1 });
    expect((await m.checkRateLimit('acme', '/v1/items')).metadata.remaining).toBe(9);
  });

  it('applies a per-tier bucket quota, and the tenant quota for tiers left out', async () => {
    const { m } = setup({ routes, tierRules: [{ pattern: 'p-*', tier: 'premium' }] });
    expect((await m.checkRateLimit('p-1', '/v1/reports/9')).metadata).toMatchObject({ bucket: 'reports', limit: 1 });
    expect((await m.checkRateLimit('free-1', '/v1/reports/9')).metadata).toMatchObject({ bucket: 'reports', limit: 10 });
  });

  it('uses the tenant quota for a bucket without a quota', async () => {
    const { m } = setup({ routes });
    await hit(m, 'acme', 10, '/v1/own');
    expect((await m.checkRateLimit('acme', '/v1/own')).allowed).toBe(false);
    expect((await m.checkRateLimit('acme', '/v1/items')).allowed).toBe(true);
  });

  it('never blocks on a shadow route but reports it exceeded', async () => {
    const { m } = setup({ routes });
    const ds = await hit(m, 'acme', 12, '/v1/beta/x');
    expect(ds.every((d) => d.allowed && d.retryAfter === 0)).toBe(true);
    expect(ds[10]?.metadata).toMatchObject({ exceeded: true, shadow: true, reason: 'rate_limited' });
    expect(ds[0]?.metadata).toMatchObject({ exceeded: false, shadow: true });
  });

  it('skips a skip route without touching any bucket', async () => {
    const { m } = setup({ routes });
    const d = await m.checkRateLimit('acme', '/health/');
    expect(d).toMatchObject({ allowed: true, retryAfter: 0, metadata: { skipped: true, cost: 0 } });
    expect((await m.checkRateLimit('acme', '/v1/items')).metadata.remaining).toBe(9);
  });

  it('matches routes case-insensitively by default, and as configured otherwise', async () => {
    const insensitive = setup({ routes });
    expect((await insensitive.m.checkRateLimit('acme', '/V1/EXPORT', { method: 'POST' })).metadata.cost).toBe(5);
    const sensitive = setup({ routes, caseSensitiveRoutes: true });
    expect((await sensitive.m.checkRateLimit('acme', '/V1/EXPORT', { method: 'POST' })).metadata.cost).toBe(1);
  });

  it('normalises the path before matching', async () => {
    const { m } = setup({ routes });
    expect((await m.checkRateLimit('acme', '//v1/x/../%65xport/?a=1', { method: 'POST' })).metadata.cost).toBe(5);
  });

  it('labels decisions with the framework route when given', async () => {
    const { m } = setup({ routes });
    expect((await m.checkRateLimit('acme', '/v1/users/77', { route: '/v1/users/:userId' })).metadata.route).toBe('/v1/users/:userId');
  });

  it('counts in an explicitly named bucket', async () => {
    const { m } = setup();
    const d = await m.checkRateLimit('acme', '/', { bucket: 'uploads' });
    expect(d.metadata).toMatchObject({ bucket: 'uploads', policy: 'free-uploads', remaining: 9 });
    expect((await m.checkRateLimit('acme', '/')).metadata.remaining).toBe(9);
  });
});

describe('shadow mode', () => {
  it('never blocks, but reports exceeded, and tells observers', async () => {
    const events: DecisionEvent[] = [];
    const { m } = setup({ shadow: true, observer: { onDecision: (e) => events.push(e) } });
    const ds = await hit(m, 'acme', 15);
    expect(ds.every((d) => d.allowed)).toBe(true);
    expect(ds.filter((d) => d.metadata.exceeded)).toHaveLength(5);
    expect(events[14]).toMatchObject({ allowed: true, exceeded: true, shadow: true });
    const status = await m.getTenantStatus('acme');
    expect(status.allowed).toBe(15);
    expect(status.denied).toBe(0);
  });
});

describe('concurrency', () => {
  it('hands out maxConcurrentRequests slots, then refuses', async () => {
    const { m } = setup({ tiers: { free: { maxConcurrentRequests: 2 } } });
    const a = await m.acquireConcurrency('acme');
    const b = await m.acquireConcurrency('acme');
    const c = await m.acquireConcurrency('acme');
    expect([a.allowed, b.allowed, c.allowed]).toEqual([true, true, false]);
    expect(c).toMatchObject({ active: 2, limit: 2, tenantId: 'acme', tier: 'free' });
    expect((await m.acquireConcurrency('globex')).allowed).toBe(true);
  });

  it('frees a slot on release; release is idempotent and a refused slot releases nothing', async () => {
    const { m } = setup({ tiers: { free: { maxConcurrentRequests: 1 } } });
    const a = await m.acquireConcurrency('acme');
    const refused = await m.acquireConcurrency('acme');
    await refused.release();
    expect((await m.acquireConcurrency('acme')).allowed).toBe(false);
    await a.release();
    const b = await m.acquireConcurrency('acme');
    expect(b.allowed).toBe(true);
    await a.release(); // again: must not free b's slot
    expect((await m.acquireConcurrency('acme')).allowed).toBe(false);
    expect((await m.getTenantStatus('acme')).activeConcurrency).toBe(1);
  });

  it('uses the override limit', async () => {
    const { m } = setup({ overrides: { acme: { maxConcurrentRequests: 1 } } });
    await m.acquireConcurrency('acme');
    expect((await m.acquireConcurrency('acme')).allowed).toBe(false);
  });

  it('lets a slot that is never released expire after concurrencyLeaseMs', async () => {
    const { m, clock } = setup({ tiers: { free: { maxConcurrentRequests: 1 } }, concurrencyLeaseMs: 500 });
    await m.acquireConcurrency('acme');
    clock.advance(499);
    expect((await m.acquireConcurrency('acme')).allowed).toBe(false);
    clock.advance(1);
    expect((await m.acquireConcurrency('acme')).allowed).toBe(true);
  });

  it('reports attempts to the observer', async () => {
    const onConcurrency = vi.fn();
    const { m } = setup({ observer: { onConcurrency } });
    await m.acquireConcurrency('acme');
    expect(onConcurrency).toHaveBeenCalledWith({ tenantId: 'acme', tier: 'free', allowed: true, active: 1, limit: 50 });
  });

  it('refuses an invalid tenant', async () => {
    const { m } = setup();
    expect(await rejected(m.acquireConcurrency(''))).toBeInstanceOf(InvalidTenantError);
  });
});

describe('status, reset and reports', () => {
  it('getTenantStatus reads without consuming', async () => {
    const { m, clock } = setup({ routes: [{ path: '/v1/search', bucket: 'search' }], overrides: { acme: { priorityBoost: 2 } } });
    await hit(m, 'acme', 11);
    await m.checkRateLimit('acme', '/v1/search');
    await m.acquireConcurrency('acme');
    const status = await m.getTenantStatus('acme');
    expect(status).toEqual({
      tenantId: 'acme',
      known: true,
      tier: 'free',
      quota: { ...DEFAULT_TIER_QUOTAS.free, priorityBoost: 2 },
      overridden: true,
      limit: 10,
      remaining: 0,
      resetAfterMs: 2000,
      activeWindows: 2,
      activeConcurrency: 1,
      lastSeen: clock.now(),
      allowed: 11,
      denied: 1,
      loadFactor: 1,
    });
    expect(await m.getTenantStatus('acme')).toEqual(status);
  });

  it('getTenantStatus of an unseen tenant shows a full bucket', async () => {
    const { m } = setup();
    expect(await m.getTenantStatus('new')).toMatchObject({
      known: false,
      remaining: 10,
      activeWindows: 0,
      lastSeen: null,
      allowed: 0,
      denied: 0,
      overridden: false,
    });
  });

  it('resetTenant forgets buckets (route buckets too), leases and the cached tier', async () => {
    let tier: 'basic' | 'premium' = 'basic';
    const { m } = setup({ routes: [{ path: '/v1/search', bucket: 'search' }], resolveTier: () => tier, tiers: { basic: { maxConcurrentRequests: 1 } } });
    await hit(m, 'acme', 40);
    await hit(m, 'acme', 40, '/v1/search');
    await m.acquireConcurrency('acme');
    tier = 'premium';
    await m.resetTenant('acme');
    const d = await m.checkRateLimit('acme');
    expect(d.metadata).toMatchObject({ tier: 'premium', remaining: 199 });
    expect((await m.checkRateLimit('acme', '/v1/search')).metadata.remaining).toBe(199);
    expect((await m.getTenantStatus('acme')).activeConcurrency).toBe(0);
  });

  it('getAllTenantStatus lists tenants seen, most recent first, bounded', async () => {
    const { m, clock } = setup({ maxTrackedTenants: 2 });
    await m.checkRateLimit('a');
    clock.advance(1);
    await m.checkRateLimit('b');
    const bSeen = clock.now();
    clock.advance(1);
    await m.checkRateLimit(m.anonymous('ip:203.0.113.7'));
    const all = await m.getAllTenantStatus();
    expect(all.map((t) => t.tenantId)).toEqual(['{~anon:ip:203.0.113.7}', 'b']);
    expect(all[1]).toEqual({ tenantId: 'b', key: '{b}', tier: 'free', anonymous: false, lastSeen: bSeen, allowed: 1, denied: 0 });
    expect(all[0]?.anonymous).toBe(true);
  });

  it('getQuotas shows tiers, overrides and rules', () => {
    const { m } = setup({
      defaultTier: 'basic',
      tiers: { free: { burstSize: 12 } },
      overrides: { acme: { burstSize: 3 } },
      tierRules: [
        { pattern: 'ent-*', tier: 'enterprise' },
        { pattern: /^p-/i, tier: 'premium' },
      ],
    });
    expect(m.getQuotas()).toEqual({
      defaultTier: 'basic',
      tiers: { ...DEFAULT_TIER_QUOTAS, free: { ...DEFAULT_TIER_QUOTAS.free, burstSize: 12 } },
      overrides: { acme: { burstSize: 3 } },
      tierRules: [
        { pattern: 'ent-*', tier: 'enterprise' },
        { pattern: '/^p-/i', tier: 'premium' },
      ],
    });
  });

  it('health reports ok with the memory store', async () => {
    const { m } = setup();
    await m.checkRateLimit('a');
    expect(await m.health()).toEqual({
      status: 'ok',
      store: 'memory',
      circuitBreaker: 'closed',
      cacheFailures: 0,
      consecutiveFailures: 0,
      windowCalls: 0,
      failureRate: null,
      systemLoad: 0,
      fleetLoad: null,
      fleetInstances: null,
      loadFactors: { free: 1, basic: 1, premium: 1, enterprise: 1 },
      inFlight: null,
      concurrencyLimit: null,
      activeTenants: 1,
      storeLatencyMs: expect.any(Number),
    });
    expect(m.readiness()).toEqual({ ready: true, circuitBreaker: 'closed' });
  });

  it('stays ready while the breaker is open (the fallback serves) unless failMode is closed', async () => {
    const open = setup();
    open.m.breaker.open();
    expect(open.m.readiness()).toMatchObject({ ready: true, circuitBreaker: 'open' });
    const strict = setup({ failMode: 'closed' });
    strict.m.breaker.open();
    expect(strict.m.readiness()).toMatchObject({ ready: false, circuitBreaker: 'open' });
    await strict.m.close();
    expect(strict.m.readiness()).toMatchObject({ ready: false, reason: 'closed' });
  });
});

describe('shared stores', () => {
  function shared(options: RateLimitManagerOptions = {}) {
    const clock = new FakeClock();
    const primary = new ScriptedStore(clock);
    const changes: CircuitStateChange[] = [];
    const failures: unknown[] = [];
    const m = createRateLimitManager({
      env: false,
      load: { enabled: false },
      clock,
      store: primary,
      storeTimeoutMs: 20,
      circuitBreaker: { minimumCalls: 2, resetTimeoutMs: 1000 },
      observer: { onCircuitStateChange: (c) => changes.push(c), onStoreFailure: (f) => failures.push(f) },
      ...options,
    });
    return { clock, primary, m, changes, failures };
  }

  it('wraps a shared store in a ResilientStore, but not a local one', () => {
    expect(shared().m.store).toBeInstanceOf(ResilientStore);
    expect(setup().m.store).toBeInstanceOf(MemoryStore);
    const local = new ScriptedStore(new FakeClock()) as ScriptedStore & { local: boolean };
    local.local = true;
    expect(setup({ store: local }).m.store).toBe(local);
  });

  it('degrades to the fallback and reports it', async () => {
    const { m, primary, changes, failures } = shared();
    primary.mode = 'fail';
    const ds = await hit(m, 'acme', 11);
    expect(ds.slice(0, 10).every((d) => d.allowed && d.metadata.source === 'fallback')).toBe(true);
    expect(ds[10]?.allowed).toBe(false);
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual(['closed>open']);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ operation: 'consume', store: 'scripted', timedOut: false });
    expect(await m.health()).toMatchObject({ status: 'degraded', store: 'scripted', circuitBreaker: 'open', cacheFailures: 2 });
    m.resetCircuitBreaker();
    expect((await m.health()).status).toBe('ok');
  });

  it('health reports the calls and the failure rate in the breaker window', async () => {
    const { m, primary } = shared({ circuitBreaker: { minimumCalls: 10 } });
    expect(await m.health()).toMatchObject({ windowCalls: 0, failureRate: null });
    await hit(m, 'acme', 5);
    primary.mode = 'fail';
    await hit(m, 'acme', 1);
    expect(await m.health()).toMatchObject({ circuitBreaker: 'closed', windowCalls: 6, failureRate: 16.7, consecutiveFailures: 1, cacheFailures: 1 });
  });

  it('survives throwing observers', async () => {
    const boom = () => {
      throw new Error('metrics broke');
    };
    const clock = new FakeClock();
    const primary = new ScriptedStore(clock);
    primary.mode = 'fail';
    const m = createRateLimitManager({
      env: false,
      load: { enabled: false },
      clock,
      store: primary,
      circuitBreaker: { minimumCalls: 1 },
      observer: { onDecision: boom, onCircuitStateChange: boom, onStoreFailure: boom, onConcurrency: boom },
    });
    expect((await m.checkRateLimit('acme')).allowed).toBe(true);
    expect((await m.acquireConcurrency('acme')).allowed).toBe(true);
  });

  it('divides limits by fallbackShare while degraded', async () => {
    const { m, primary } = shared({ fallbackShare: 5 });
    primary.mode = 'fail';
    expect((await hit(m, 'acme', 3)).map((d) => d.allowed)).toEqual([true, true, false]);
  });

  it('with failMode open admits everything while the store is down', async () => {
    const { m, primary } = shared({ failMode: 'open' });
    primary.mode = 'fail';
    const ds = await hit(m, 'acme', 30);
    expect(ds.every((d) => d.allowed && d.metadata.source === 'fail-open')).toBe(true);
  });

  it('with failMode closed throws StoreUnavailableError, never a denial', async () => {
    const { m, primary } = shared({ failMode: 'closed' });
    primary.mode = 'fail';
    expect(await rejected(m.checkRateLimit('acme'))).toBeInstanceOf(StoreUnavailableError);
  });

  it('uses a given fallback store', async () => {
    const clock = new FakeClock();
    const fallbackStore = new MemoryStore({ clock, sweepIntervalMs: 0 });
    const { m, primary } = shared({ fallbackStore, clock });
    primary.mode = 'fail';
    await m.checkRateLimit('acme');
    expect((await fallbackStore.inspect('{acme}:b', { rate: 5, burst: 10 })).remaining).toBe(9);
  });
});

describe('close', () => {
  it('is idempotent, closes the store and refuses later use with ClosedError', async () => {
    const { m } = setup();
    await m.close();
    await m.close();
    expect(await rejected(m.checkRateLimit('a'))).toBeInstanceOf(ClosedError);
    expect(await rejected(m.acquireConcurrency('a'))).toBeInstanceOf(ClosedError);
    expect(await rejected(m.getTenantStatus('a'))).toBeInstanceOf(ClosedError);
    expect(await rejected(m.resetTenant('a'))).toBeInstanceOf(ClosedError);
    expect(thrown(() => m.setTenantOverride('a', {}))).toBeInstanceOf(ClosedError);
    expect(await rejected((m.store as MemoryStore).ping())).toBeInstanceOf(ClosedError);
  });
});

describe('getRateLimitManager', () => {
  it('returns one process-wide manager until it is closed or replaced', async () => {
    setRateLimitManager(undefined);
    const a = getRateLimitManager();
    expect(getRateLimitManager()).toBe(a);
    await a.close();
    const b = getRateLimitManager();
    expect(b).not.toBe(a);
    const mine = setup().m;
    setRateLimitManager(mine);
    expect(getRateLimitManager()).toBe(mine);
    setRateLimitManager(undefined);
    await b.close();
  });
});

describe('fleet-wide state of a shared store', () => {
  function fleetSetup(fleet = new FakeFleet(), options: RateLimitManagerOptions = {}) {
    const clock = new FakeClock();
    const primary = new ScriptedStore(clock);
    primary.fleet = fleet;
    const log = recordingLogger();
    const m = createRateLimitManager({ env: false, load: { enabled: false }, clock, store: primary, logger: log.logger, ...options });
    return { m, fleet, primary, clock, log };
  }

  it('loads stored overrides before ready resolves; they beat code overrides', async () => {
    const fleet = new FakeFleet();
    fleet.overrides.set('acme', { burstSize: 2 });
    const { m } = fleetSetup(fleet, { overrides: { acme: { burstSize: 5 }, globex: { burstSize: 7 } } });
    await m.ready;
    expect(m.getTenantOverride('acme')).toEqual({ burstSize: 2 });
    expect(m.getTenantOverride('globex')).toEqual({ burstSize: 7 });
    expect((await m.checkRateLimit('acme')).metadata.limit).toBe(2);
  });

  it('does not hold start-up when the fleet is down, and loads overrides once it is back', async () => {
    const fleet = new FakeFleet();
    fleet.overrides.set('acme', { burstSize: 2 });
    fleet.failing = true;
    const clock = new FakeClock();
    const timers = new ManualTimers(clock);
    const { m } = fleetSetup(fleet, { clock, timers });
    await m.ready;
    expect(m.getTenantOverride('acme')).toBeUndefined();
    fleet.failing = false;
    clock.advance(5_000);
    timers.run();
    await new Promise((r) => setImmediate(r));
    expect(m.getTenantOverride('acme')).toEqual({ burstSize: 2 });
    await m.close();
    expect(timers.pending.size).toBe(0);
  });

  it('resolves ready at once without a fleet', async () => {
    await expect(setup().m.ready).resolves.toBeUndefined();
  });

  it('still starts when the overrides cannot be loaded, and says so', async () => {
    const fleet = new FakeFleet();
    fleet.failing = true;
    const { m, log } = fleetSetup(fleet);
    await m.ready;
    expect(log.lines.some((l) => l.level === 'warn' && /fleet-wide overrides/.test(l.msg ?? ''))).toBe(true);
    expect((await m.checkRateLimit('acme')).allowed).toBe(true);
  });

  it('shares overrides set on one instance with every other', async () => {
    const fleet = new FakeFleet();
    const a = fleetSetup(fleet).m;
    const b = fleetSetup(fleet).m;
    await a.setTenantOverride('acme', { burstSize: 3 });
    expect(fleet.overrides.get('acme')).toEqual({ burstSize: 3 });
    expect(b.getTenantOverride('acme')).toEqual({ burstSize: 3 });
    expect(await a.removeTenantOverride('acme')).toBe(true);
    expect(b.getTenantOverride('acme')).toBeUndefined();
    expect(fleet.overrides.has('acme')).toBe(false);
  });

  it('applies the change locally even when the fleet cannot be told, and rejects with StoreUnavailableError', async () => {
    const { m, fleet } = fleetSetup();
    fleet.failing = true;
    expect(await rejected(m.setTenantOverride('acme', { burstSize: 3 }))).toBeInstanceOf(StoreUnavailableError);
    expect(m.getTenantOverride('acme')).toEqual({ burstSize: 3 });
    expect(await rejected(m.resetTenant('acme'))).toBeInstanceOf(StoreUnavailableError);
  });

  it('drops local blocked-until answers when another instance changes or resets a tenant', async () => {
    const { m, fleet, primary } = fleetSetup();
    for (let i = 0; i < 11; i++) await m.checkRateLimit('acme');
    expect((await m.checkRateLimit('acme')).metadata.source).toBe('blocked-cache');
    // Another instance resets the shared bucket and announces it.
    await primary.inner.reset('{acme}:b');
    fleet.emit({ type: 'reset', tenantId: 'acme' });
    await new Promise((resolve) => setImmediate(resolve));
    expect((await m.checkRateLimit('acme')).metadata).toMatchObject({ source: 'primary', remaining: 9 });
  });

  it('re-asks resolveTier after a fleet reset', async () => {
    let tier: 'basic' | 'premium' = 'basic';
    const { m, fleet } = fleetSetup(new FakeFleet(), { resolveTier: () => tier });
    expect((await m.checkRateLimit('acme')).metadata.tier).toBe('basic');
    tier = 'premium';
    fleet.emit({ type: 'reset', tenantId: 'acme' });
    expect((await m.checkRateLimit('acme')).metadata.tier).toBe('premium');
  });

  it('publishes resets', async () => {
    const { m, fleet } = fleetSetup();
    await m.resetTenant('acme');
    expect(fleet.published).toEqual([{ type: 'reset', tenantId: 'acme' }]);
  });

  it('records tenants (not anonymous clients) and lists tenants seen fleet-wide', async () => {
    const { m, fleet, clock } = fleetSetup();
    await m.checkRateLimit('local');
    await m.checkRateLimit(m.anonymous('ip:203.0.113.7'));
    expect([...fleet.seen.keys()]).toEqual(['local']);
    fleet.recordSeen('remote', 'free', clock.now() + 5);
    fleet.recordSeen('local', 'free', clock.now() + 10);
    const all = await m.getAllTenantStatus();
    expect(all.map((t) => t.tenantId)).toEqual(['local', 'remote', '{~anon:ip:203.0.113.7}']);
    expect(all[0]).toMatchObject({ lastSeen: clock.now() + 10, allowed: 1 });
    expect(all[1]).toMatchObject({ tenantId: 'remote', key: '{remote}', tier: 'free', anonymous: false, allowed: 0, denied: 0 });
  });

  it('lists only this instance when the fleet cannot be read', async () => {
    const { m, fleet, log } = fleetSetup();
    await m.checkRateLimit('local');
    fleet.failing = true;
    expect((await m.getAllTenantStatus()).map((t) => t.tenantId)).toEqual(['local']);
    expect(log.lines.some((l) => l.level === 'warn' && /fleet-wide tenants/.test(l.msg ?? ''))).toBe(true);
  });

  it('stops listening on close', async () => {
    const { m, fleet } = fleetSetup();
    expect(fleet.subscribers).toBe(1);
    await m.close();
    expect(fleet.subscribers).toBe(0);
  });
});
