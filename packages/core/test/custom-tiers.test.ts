/**
 * Tiers of your own (issue 14): any declared name is a tier everywhere a tier is named — rules,
 * the default tier, overrides, resolveTier, route quotas, load floors, anonymous clients, the
 * environment — and limits with its own quota; undeclared or malformed names are refused.
 */
import { describe, expect, it } from 'vitest';
import { createRateLimitManager, RateLimitConfigError, type RateLimitManagerOptions } from '../src/index.js';
import { createHttpRateLimiter } from '../src/adapter.js';
import { FakeClock, recordingLogger, thrown } from './support.js';

const gold = { requestsPerSecond: 1, burstSize: 3, maxConcurrentRequests: 7, priorityBoost: 3 };
const base = { env: false as const, load: { enabled: false } };

function issuesOf(fn: () => unknown): Record<string, string> {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(RateLimitConfigError);
  return Object.fromEntries((error as RateLimitConfigError).issues.map((i) => [i.key, i.message]));
}

/** Decisions until the first denial: the burst a tenant got. */
async function burstOf(m: ReturnType<typeof createRateLimitManager>, tenant: string): Promise<number> {
  for (let n = 0; n < 100; n++) if (!(await m.checkRateLimit(tenant)).allowed) return n;
  return 100;
}

describe('tiers of your own', () => {
  it('limits a tenant a rule places in a declared tier with that tier’s quota', async () => {
    const m = createRateLimitManager({ ...base, clock: new FakeClock(), tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gold' }] });
    expect(Object.keys(m.config.tiers)).toEqual(['free', 'basic', 'premium', 'enterprise', 'gold']);
    const first = await m.checkRateLimit('g-1');
    expect(first.metadata.tier).toBe('gold');
    expect(first.metadata.limit).toBe(3);
    expect(await burstOf(m, 'g-1')).toBe(2);
    expect((await m.getTenantStatus('g-1')).tier).toBe('gold');
    expect(m.getQuotas().tiers.gold).toEqual(gold);
    await m.close();
  });

  it('defaults a declared tier’s priority boost to 1 (neutral)', () => {
    const m = createRateLimitManager({ ...base, tiers: { partner: { requestsPerSecond: 10, burstSize: 10, maxConcurrentRequests: 5 } } });
    expect(m.config.tiers.partner).toEqual({ requestsPerSecond: 10, burstSize: 10, maxConcurrentRequests: 5, priorityBoost: 1 });
  });

  it('accepts declared names as the default tier, in overrides, from resolveTier and in per-tier route quotas', async () => {
    const m = createRateLimitManager({
      ...base,
      clock: new FakeClock(),
      tiers: { gold, internal: { requestsPerSecond: 100, burstSize: 50, maxConcurrentRequests: 10 } },
      defaultTier: 'internal',
      overrides: { 'pinned-1': { tier: 'gold' } },
      resolveTier: (id) => (id.startsWith('r-') ? 'gold' : undefined),
      routes: [{ path: '/export', bucket: 'export', quota: { gold: { requestsPerSecond: 1, burstSize: 1 } } }],
    });
    expect((await m.checkRateLimit('anyone')).metadata.tier).toBe('internal');
    expect((await m.checkRateLimit('pinned-1')).metadata.tier).toBe('gold');
    expect((await m.checkRateLimit('r-9')).metadata.tier).toBe('gold');
    const exportOnce = await m.checkRateLimit('pinned-1', '/export');
    expect(exportOnce.metadata.limit).toBe(1);
    expect((await m.checkRateLimit('pinned-1', '/export')).allowed).toBe(false);
    await m.setTenantOverride('later', { tier: 'internal', burstSize: 2 });
    expect((await m.checkRateLimit('later')).metadata.limit).toBe(2);
    await m.close();
  });

  it('uses the default tier when resolveTier names a tier nobody declared, and says so', async () => {
    const log = recordingLogger();
    const m = createRateLimitManager({ ...base, logger: log.logger, tiers: { gold }, resolveTier: () => 'platinum' as 'gold' });
    expect((await m.checkRateLimit('t-1')).metadata.tier).toBe('free');
    expect(log.lines.some((l) => l.level === 'warn' && /unknown tier/.test(l.msg ?? ''))).toBe(true);
    await m.close();
  });

  it('refuses a tier name that nothing declared, wherever a tier is named, with a hint', () => {
    const issues = issuesOf(() =>
      createRateLimitManager({
        ...base,
        tiers: { gold },
        defaultTier: 'glod',
        tierRules: [{ pattern: 'x-*', tier: 'platinum' }],
        overrides: { a: { tier: 'silver' } },
        load: { enabled: false, floor: { bronze: 0.5 } },
      } as unknown as RateLimitManagerOptions),
    );
    expect(issues.defaultTier).toBe('must be one of free, basic, premium, enterprise, gold, got "glod" (did you mean gold?)');
    expect(Object.keys(issues).sort()).toEqual(['defaultTier', 'load.floor.bronze', 'overrides.a.tier', 'tierRules[0].tier']);
    const m = createRateLimitManager({ ...base, tiers: { gold } });
    expect(issuesOf(() => m.setTenantOverride('a', { tier: 'silver' as 'gold' }))).toEqual({
      'quota.tier': 'must be one of free, basic, premium, enterprise, gold, got "silver"',
    });
    expect(issuesOf(() => m.anonymous('shared', 'silver' as 'gold'))).toHaveProperty('tier');
  });

  it('needs rate, burst and concurrency for a declared tier, and suggests the default tier a near miss meant', () => {
    expect(issuesOf(() => createRateLimitManager({ ...base, tiers: { premum: { burstSize: 300 } } } as unknown as RateLimitManagerOptions))).toEqual({
      'tiers.premum':
        'declares a tier of your own, which needs requestsPerSecond, maxConcurrentRequests (in code or env); did you mean the default tier premium?',
    });
    expect(issuesOf(() => createRateLimitManager({ ...base, tiers: { Gold: gold, 'has space': gold } } as unknown as RateLimitManagerOptions))).toEqual({
      'tiers.Gold': 'is not a usable tier name: lower-case letters, digits, _ and -, a letter first, at most 32 characters',
      'tiers.has space': 'is not a usable tier name: lower-case letters, digits, _ and -, a letter first, at most 32 characters',
    });
    expect(Object.keys(issuesOf(() => createRateLimitManager({ ...base, tiers: { 'a-b': gold, a_b: gold } })))).toEqual(['tiers.a_b']);
  });

  it('sheds a declared tier by its own priority boost under load', async () => {
    const m = createRateLimitManager({
      env: false,
      tiers: { gold, bulk: { requestsPerSecond: 100, burstSize: 100, maxConcurrentRequests: 10, priorityBoost: 0.2 } },
      load: { signal: () => 0.95, smoothingMs: 0, floor: { gold: 0.9, bulk: 0 } },
    });
    const factors = (await m.health()).loadFactors;
    expect(Object.keys(factors)).toEqual(['free', 'basic', 'premium', 'enterprise', 'gold', 'bulk']);
    expect(factors.gold).toBeGreaterThanOrEqual(0.9);
    expect(factors.bulk).toBeLessThan(factors.free as number);
    await m.close();
  });

  it('reads per-tier variables, DEFAULT_TIER and TIER_RULES for declared tiers from the environment', async () => {
    const env = {
      AURUM_API_RATE_LIMIT_GOLD_BURST: '4',
      AURUM_API_RATE_LIMIT_PARTNER_EU_RPS: '2',
      AURUM_API_RATE_LIMIT_DEFAULT_TIER: 'partner-eu',
      AURUM_API_RATE_LIMIT_TIER_RULES: 'g-*=gold',
      AURUM_API_RATE_LIMIT_GOLD_LOAD_FLOOR: '0.5',
    };
    const m = createRateLimitManager({
      env,
      load: { enabled: false },
      tiers: { gold, 'partner-eu': { requestsPerSecond: 1, burstSize: 5, maxConcurrentRequests: 5 } },
    });
    // Code beats env for a field both set; env fills the rest.
    expect(m.config.tiers.gold?.burstSize).toBe(3);
    expect(m.config.tiers['partner-eu']?.requestsPerSecond).toBe(1);
    expect(m.config.defaultTier).toBe('partner-eu');
    expect(m.config.load.floor.gold).toBe(0.5);
    expect((await m.checkRateLimit('g-1')).metadata.tier).toBe('gold');
    await m.close();
    // A tier the code does not declare has no variables: a typo stays an error.
    expect(
      Object.keys(issuesOf(() => createRateLimitManager({ env: { AURUM_API_RATE_LIMIT_GOLD_RPS: '1', AURUM_API_RATE_LIMIT_DEFAULT_TIER: 'gold' } }))),
    ).toEqual(['AURUM_API_RATE_LIMIT_DEFAULT_TIER', 'AURUM_API_RATE_LIMIT_GOLD_RPS']);
  });

  it('lets a declared tier take its quota from the environment alone', () => {
    const m = createRateLimitManager({
      env: { AURUM_API_RATE_LIMIT_GOLD_RPS: '3', AURUM_API_RATE_LIMIT_GOLD_BURST: '6', AURUM_API_RATE_LIMIT_GOLD_MAX_CONCURRENT: '9' },
      load: { enabled: false },
      tiers: { gold: {} as typeof gold },
    });
    expect(m.config.tiers.gold).toEqual({ requestsPerSecond: 3, burstSize: 6, maxConcurrentRequests: 9, priorityBoost: 1 });
  });

  it('limits anonymous clients under a declared tier, and refuses an undeclared one', async () => {
    const http = createHttpRateLimiter({ ...base, tiers: { gold }, anonymous: { mode: 'shared', tier: 'gold' } });
    const outcome = await http.handle({ method: 'GET', url: '/x', ip: '203.0.113.9', headers: {}, raw: undefined });
    expect(outcome.action).toBe('continue');
    if (outcome.action === 'continue') {
      expect(outcome.headers['X-RateLimit-Limit']).toBe('3');
      await outcome.release?.();
    }
    await http.close();
    expect(issuesOf(() => createHttpRateLimiter({ ...base, anonymous: { tier: 'gold' } } as never))).toEqual({
      'anonymous.tier': 'must be one of free, basic, premium, enterprise, got "gold"',
    });
  });
});
