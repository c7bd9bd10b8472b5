import { describe, expect, it } from 'vitest';
import {
  createRateLimitManager,
  DEFAULT_TIER_QUOTAS,
  ENV_PREFIX,
  MemoryStore,
  RateLimitConfigError,
  type RateLimitManagerOptions,
  type RateLimitOptions,
} from '../src/index.js';
import { createHttpRateLimiter } from '../src/adapter.js';
import { FakeClock, issueKeys, thrown } from './support.js';

const P = ENV_PREFIX;
const base = { env: false as const, load: { enabled: false } };

/** The issues of the error `createRateLimitManager(options)` throws, as key → message. */
function managerIssues(options: Record<string, unknown>): Record<string, string> {
  const error = thrown(() => createRateLimitManager({ ...base, ...options } as RateLimitManagerOptions));
  expect(error).toBeInstanceOf(RateLimitConfigError);
  return Object.fromEntries((error as RateLimitConfigError).issues.map((i) => [i.key, i.message]));
}

function httpIssues(options: Record<string, unknown>): Record<string, string> {
  const error = thrown(() => createHttpRateLimiter({ ...base, ...options } as RateLimitOptions));
  expect(error).toBeInstanceOf(RateLimitConfigError);
  return Object.fromEntries((error as RateLimitConfigError).issues.map((i) => [i.key, i.message]));
}

describe('createRateLimitManager: unknown and misplaced options', () => {
  it('rejects an unknown key with a did-you-mean hint', () => {
    expect(managerIssues({ tier: { free: { burstSize: 5 } } })).toEqual({ tier: 'is not a known option (did you mean tiers?)' });
    expect(managerIssues({ failmode: 'open' })).toEqual({ failmode: 'is not a known option (did you mean failMode?)' });
  });

  it('rejects an unknown key without a hint when nothing is close', () => {
    expect(managerIssues({ redisClient: {} })).toEqual({ redisClient: 'is not a known option' });
  });

  it('ignores keys set to undefined', () => {
    expect(() => createRateLimitManager({ ...base, ...({ typo: undefined } as object) })).not.toThrow();
  });

  it('rejects an HTTP-only key, saying where it belongs', () => {
    expect(managerIssues({ tenantHeaders: ['X-Org'] })).toEqual({
      tenantHeaders: 'is an HTTP option: pass it to an adapter or createHttpRateLimiter, not createRateLimitManager',
    });
    expect(Object.keys(managerIssues({ trustProxy: true, admin: { token: 'x' } })).sort()).toEqual(['admin', 'trustProxy']);
  });

  it('rejects options that are not an object', () => {
    expect(issueKeys(thrown(() => createRateLimitManager('fast' as unknown as RateLimitManagerOptions)))).toEqual(['options']);
  });
});

describe('createRateLimitManager: tiers', () => {
  it('rejects a bad tier quota, naming the field', () => {
    expect(managerIssues({ tiers: { free: { burstSize: 0 } } })).toEqual({ 'tiers.free.burstSize': 'must be a whole number in [1, ∞], got 0' });
    expect(managerIssues({ tiers: { free: { requestsPerSecond: 2_000_000 } } })).toEqual({
      'tiers.free.requestsPerSecond': 'must be a number in [0.00001157, 1000000] (one request per day to a million per second), got 2000000',
    });
  });

  it('rejects every bad field of every tier at once', () => {
    const issues = managerIssues({
      tiers: {
        free: { requestsPerSecond: -1, burstSize: 2.5, maxConcurrentRequests: 0, priorityBoost: 0, rps: 5 },
        gold: { burstSize: 1 },
        basic: 'fast',
      },
    });
    expect(Object.keys(issues).sort()).toEqual(
      [
        'tiers.gold',
        'tiers.basic',
        'tiers.free.rps',
        'tiers.free.requestsPerSecond',
        'tiers.free.burstSize',
        'tiers.free.maxConcurrentRequests',
        'tiers.free.priorityBoost',
      ].sort(),
    );
    expect(issues['tiers.basic']).toBe('must be an object');
  });

  it('rejects a bad default tier and bad tier rules', () => {
    const issues = managerIssues({
      defaultTier: 'gold',
      tierRules: [{ pattern: '', tier: 'free' }, { pattern: /x/, tier: 'gold' }, 'ent-*', { pattern: 'a', tier: 'free', x: 1 }],
    });
    expect(Object.keys(issues).sort()).toEqual(['defaultTier', 'tierRules[0].pattern', 'tierRules[1].tier', 'tierRules[2]', 'tierRules[3].x'].sort());
    expect(managerIssues({ tierRules: 'ent-*=enterprise' })).toEqual({ tierRules: 'must be an array of { pattern, tier }' });
  });

  it('merges tier changes over the defaults', () => {
    const m = createRateLimitManager({ ...base, tiers: { free: { burstSize: 20 } } });
    expect(m.config.tiers.free).toEqual({ ...DEFAULT_TIER_QUOTAS.free, burstSize: 20 });
    expect(m.config.tiers.basic).toEqual(DEFAULT_TIER_QUOTAS.basic);
  });
});

describe('createRateLimitManager: route rules', () => {
  it.each<[Record<string, unknown>, string]>([
    [{ path: 'v1/export' }, 'routes[0].path'],
    [{ path: '/x', cost: 0 }, 'routes[0].cost'],
    [{ path: '/x', cost: 1.5 }, 'routes[0].cost'],
    [{ path: '/x', method: 'GE T' }, 'routes[0].method'],
    [{ path: '/x', method: [] }, 'routes[0].method'],
    [{ path: '/x', bucket: 'default' }, 'routes[0].bucket'],
    [{ path: '/x', bucket: 'has space' }, 'routes[0].bucket'],
    [{ path: '/x', quota: { requestsPerSecond: 1, burstSize: 1 } }, 'routes[0].quota'],
    [{ path: '/x', bucket: 'b', quota: { requestsPerSecond: 1 } }, 'routes[0].quota'],
    [{ path: '/x', bucket: 'b', quota: { free: { requestsPerSecond: 1, burstSize: 0 } } }, 'routes[0].quota.free.burstSize'],
    [{ path: '/x', bucket: 'b', quota: { free: { requestsPerSecond: 1, burstSize: 1 }, gold: {} } }, 'routes[0].quota.gold'],
    [{ path: '/x', shadow: 'yes' }, 'routes[0].shadow'],
    [{ path: '/x', skip: 1 }, 'routes[0].skip'],
    [{ path: '/x', weight: 2 }, 'routes[0].weight'],
  ])('rejects %o', (rule, key) => {
    expect(Object.keys(managerIssues({ routes: [rule] }))).toContain(key);
  });

  it('explains that a quota needs a bucket', () => {
    expect(managerIssues({ routes: [{ path: '/x', quota: { requestsPerSecond: 1, burstSize: 1 } }] })).toEqual({
      'routes[0].quota': 'needs a bucket: a quota applies to a separate bucket',
    });
  });

  it('rejects routes that are not an array, and non-object rules', () => {
    expect(managerIssues({ routes: { path: '/x' } })).toEqual({ routes: 'must be an array of route rules' });
    expect(managerIssues({ routes: ['/x'] })).toEqual({ 'routes[0]': 'must be a route rule object' });
  });

  it('accepts every valid form', () => {
    expect(() =>
      createRateLimitManager({
        ...base,
        routes: [
          { path: '/v1/export', method: ['POST', 'put'], cost: 5 },
          { path: /^\/v1\/search/, bucket: 'search', quota: { requestsPerSecond: 1, burstSize: 2 } },
          { path: '/v1/report/:id', bucket: 'reports', quota: { premium: { requestsPerSecond: 5, burstSize: 5 } } },
          { path: '/health', skip: true },
          { path: '/v2/**', shadow: true },
        ],
      }),
    ).not.toThrow();
  });
});

describe('createRateLimitManager: overrides', () => {
  it('rejects a bad override quota, an invalid tenant id and a bad pinned tier', () => {
    const issues = managerIssues({
      overrides: { acme: { burstSize: -1 }, 'bad id': { burstSize: 5 }, globex: { tier: 'gold' }, initech: { burst: 5 }, hooli: 5 },
    });
    expect(Object.keys(issues).sort()).toEqual(
      ['overrides.acme.burstSize', 'overrides.bad id', 'overrides.globex.tier', 'overrides.hooli', 'overrides.initech.burst'].sort(),
    );
    expect(issues['overrides.bad id']).toBe('tenant id must not contain whitespace or control characters');
  });

  it('rejects overrides that are not an object', () => {
    expect(managerIssues({ overrides: [] })).toEqual({ overrides: 'must be an object keyed by tenant id' });
  });
});

describe('createRateLimitManager: other options', () => {
  it('reports every bad option at once', () => {
    const issues = managerIssues({
      store: {},
      fallbackStore: new MemoryStore(),
      resolveTier: 'premium',
      tierCache: { max: 0, ttlMs: -1, size: 3 },
      caseSensitiveRoutes: 'no',
      shadow: 1,
      circuitBreaker: { failureThreshold: 0, halfOpen: 1 },
      storeTimeoutMs: Number.POSITIVE_INFINITY,
      failMode: 'ignore',
      fallbackShare: 0,
      blockedCache: 'on',
      load: { threshold: 1, minFactor: 0, sampleIntervalMs: 0, shedStatus: 500, enabled: 'yes', signal: 0.5, extra: true },
      concurrencyLeaseMs: 0,
      tenantIdRules: { maxLength: 0, pattern: '^a$', chars: 'x' },
      maxTrackedTenants: -1,
      observer: 'prometheus',
      logger: console.log,
      clock: { time: () => 0 },
    });
    expect(Object.keys(issues).sort()).toEqual(
      [
        'store',
        'resolveTier',
        'tierCache.max',
        'tierCache.ttlMs',
        'tierCache.size',
        'caseSensitiveRoutes',
        'shadow',
        'circuitBreaker.failureThreshold',
        'circuitBreaker.halfOpen',
        'storeTimeoutMs',
        'failMode',
        'fallbackShare',
        'blockedCache',
        'load.threshold',
        'load.minFactor',
        'load.sampleIntervalMs',
        'load.shedStatus',
        'load.enabled',
        'load.signal',
        'load.extra',
        'concurrencyLeaseMs',
        'tenantIdRules.maxLength',
        'tenantIdRules.pattern',
        'tenantIdRules.chars',
        'maxTrackedTenants',
        'observer',
        'logger',
        'clock',
      ].sort(),
    );
    expect(issues.store).toBe('must implement RateLimitStore; missing consume, inspect, acquire, release, countLeases, reset, ping, close');
  });

  it('puts every issue in the message, one per line', () => {
    const error = thrown(() => createRateLimitManager({ ...base, failMode: 'x' as 'open', fallbackShare: 0 })) as RateLimitConfigError;
    expect(error.message).toBe(
      'Invalid rate limit configuration:\n  - failMode: must be one of fallback, open, closed, got "x"\n  - fallbackShare: must be a whole number in [1, 10000], got 0',
    );
    expect(error.docs).toMatch(/#err-aurum-config$/);
  });

  it('rejects an env that is neither an object nor false', () => {
    expect(managerIssues({ env: 'production' })).toHaveProperty('env');
  });
});

describe('code options override the environment', () => {
  const env = {
    [`${P}FREE_RPS`]: '2',
    [`${P}FREE_BURST`]: '25',
    [`${P}CIRCUIT_THRESHOLD`]: '9',
    [`${P}CIRCUIT_RESET_TIMEOUT`]: '15',
    [`${P}DEFAULT_TIER`]: 'basic',
    [`${P}TIER_RULES`]: 'ent-*=enterprise',
    [`${P}SHADOW`]: 'true',
    [`${P}STORE_TIMEOUT_MS`]: '40',
    [`${P}FAIL_MODE`]: 'open',
    [`${P}FALLBACK_SHARE`]: '3',
    [`${P}LEASE_MS`]: '5000',
    [`${P}TENANT_HEADERS`]: 'X-Org',
    [`${P}ANONYMOUS`]: 'reject',
    [`${P}TRUST_PROXY`]: 'true',
    [`${P}PROBLEM_FORMAT`]: 'rfc9457',
    [`${P}REQUEST_ID_HEADER`]: 'X-Trace',
    [`${P}ADMIN_TOKEN`]: 'from-env-0123456789',
  };

  it('for manager options, field by field', () => {
    const m = createRateLimitManager({
      env,
      load: { enabled: false },
      tiers: { free: { burstSize: 30 } },
      circuitBreaker: { minimumCalls: 2 },
      defaultTier: 'premium',
      tierRules: [{ pattern: 'big-*', tier: 'enterprise' }],
      shadow: false,
      storeTimeoutMs: 10,
      failMode: 'closed',
      fallbackShare: 1,
      concurrencyLeaseMs: 100,
    });
    expect(m.config.tiers.free).toEqual({ ...DEFAULT_TIER_QUOTAS.free, requestsPerSecond: 2, burstSize: 30 });
    expect(m.breaker.minimumCalls).toBe(2);
    expect(m.breaker.resetTimeoutMs).toBe(15_000);
    expect(m.config.defaultTier).toBe('premium');
    expect(m.config.tierRules).toEqual([{ pattern: 'big-*', tier: 'enterprise' }]);
    expect(m.config.shadow).toBe(false);
    expect(m.config.storeTimeoutMs).toBe(10);
    expect(m.config.failMode).toBe('closed');
    expect(m.config.fallbackShare).toBe(1);
    expect(m.config.concurrencyLeaseMs).toBe(100);
  });

  it('for the breaker, with the deprecated failureThreshold in code replacing the environment minimumCalls', () => {
    const m = createRateLimitManager({ env, load: { enabled: false }, circuitBreaker: { failureThreshold: 4, failureRateThreshold: 30 } });
    expect([m.breaker.minimumCalls, m.breaker.failureRateThreshold, m.breaker.resetTimeoutMs]).toEqual([4, 30, 15_000]);
    expect(m.breaker.failureThreshold).toBe(4);
    expect(managerIssues({ circuitBreaker: { failureThreshold: 4, minimumCalls: 4 } })).toEqual({
      'circuitBreaker.failureThreshold': 'is the deprecated name of minimumCalls: give only minimumCalls, got 4',
    });
    expect(managerIssues({ circuitBreaker: { minimumCals: 4, slidingWindowMs: 0 } })).toEqual({
      'circuitBreaker.minimumCals': 'is not a known option (did you mean minimumCalls?)',
      'circuitBreaker.slidingWindowMs': 'must be a whole number in [1, 2147483647], got 0',
    });
  });

  it('falls back to the environment for what code leaves out', () => {
    const m = createRateLimitManager({ env, load: { enabled: false } });
    expect(m.config.tiers.free).toEqual({ ...DEFAULT_TIER_QUOTAS.free, requestsPerSecond: 2, burstSize: 25 });
    expect(m.config.shadow).toBe(true);
    expect(m.config.storeTimeoutMs).toBe(40);
    expect(m.config.failMode).toBe('open');
    expect(m.config.fallbackShare).toBe(3);
    expect(m.config.concurrencyLeaseMs).toBe(5000);
    expect(m.config.tierRules).toEqual([{ pattern: 'ent-*', tier: 'enterprise' }]);
  });

  it('for HTTP options', () => {
    const h = createHttpRateLimiter({
      env,
      load: { enabled: false },
      tenantHeaders: ['X-Tenant'],
      anonymous: 'shared',
      trustProxy: false,
      problemFormat: 'aurum',
      requestIdHeader: 'X-Request-ID',
      admin: { token: 'from-code-0123456789' },
    });
    expect(h.config.tenantHeaders).toEqual(['x-tenant']);
    expect(h.config.anonymous.mode).toBe('shared');
    expect(h.config.trustProxy).toBe(false);
    expect(h.config.problemFormat).toBe('aurum');
    expect(h.config.requestIdHeader).toBe('x-request-id');
    expect(h.config.admin).toMatchObject({ token: 'from-code-0123456789' });
    const fromEnv = createHttpRateLimiter({ env, load: { enabled: false } });
    expect(fromEnv.config.problemFormat).toBe('rfc9457');
    expect(fromEnv.config.trustProxy).toBe(true);
    expect(fromEnv.config.requestIdHeader).toBe('x-trace');
  });
});

describe('createHttpRateLimiter options', () => {
  it('accepts a ready manager', () => {
    const manager = createRateLimitManager(base);
    expect(createHttpRateLimiter({ manager }).manager).toBe(manager);
  });

  it('refuses manager options beside a manager', () => {
    const manager = createRateLimitManager(base);
    const error = thrown(() => createHttpRateLimiter({ manager, tiers: { free: { burstSize: 2 } }, shadow: true }));
    expect(issueKeys(error)).toEqual(['tiers', 'shadow']);
    expect((error as RateLimitConfigError).issues[0]?.message).toBe('cannot be combined with manager: configure the manager instead');
  });

  it('refuses an unknown key beside a manager, as it does without one', () => {
    const manager = createRateLimitManager(base);
    const error = thrown(() => createHttpRateLimiter({ manager, tenantHeader: ['X-Org'] } as RateLimitOptions));
    expect(issueKeys(error)).toEqual(['tenantHeader']);
    expect((error as RateLimitConfigError).issues[0]?.message).toBe('is not a known option (did you mean tenantHeaders?)');
    expect(httpIssues({ tenantHeader: ['X-Org'] })).toEqual({ tenantHeader: 'is not a known option (did you mean tenantHeaders?)' });
  });

  it('refuses a manager that is not a RateLimitManager', () => {
    expect(issueKeys(thrown(() => createHttpRateLimiter({ manager: {} as never })))).toEqual(['manager']);
  });

  it('reports every bad HTTP option at once', () => {
    const issues = httpIssues({
      tenantHeaders: ['X Org'],
      resolveTenant: 'acme',
      anonymous: { mode: 'nobody', tier: 'gold', ipv4Prefix: 33, ipv6Prefix: -1, v6: 56 },
      requestIdHeader: 'X Request',
      problemFormat: 'xml',
      headers: { legacy: 'yes', draft: true },
      concurrency: 'on',
      skip: true,
      cost: 5,
      admin: { prefix: 'admin', token: 'has space', authorize: 'yes', path: '/x' },
    });
    expect(Object.keys(issues).sort()).toEqual(
      [
        'tenantHeaders',
        'resolveTenant',
        'anonymous.mode',
        'anonymous.tier',
        'anonymous.ipv4Prefix',
        'anonymous.ipv6Prefix',
        'anonymous.v6',
        'requestIdHeader',
        'problemFormat',
        'headers.legacy',
        'headers.draft',
        'concurrency',
        'skip',
        'cost',
        'admin.prefix',
        'admin.token',
        'admin.authorize',
        'admin.path',
      ].sort(),
    );
  });

  it.each<[unknown, string]>([
    [-1, 'hop count must be a whole number >= 0, got -1'],
    [['10.0.0.0/8', 'proxy.local'], 'must list addresses or CIDRs; bad: proxy.local'],
    ['yes', 'must be a boolean, a hop count or a list of addresses/CIDRs'],
  ])('rejects trustProxy %j', (trustProxy, message) => {
    expect(httpIssues({ trustProxy })).toEqual({ trustProxy: message });
  });

  it('rejects an anonymous mode given as a bad string', () => {
    expect(httpIssues({ anonymous: 'nobody' })).toEqual({ 'anonymous.mode': 'must be one of ip, shared, reject, got "nobody"' });
  });

  it('resolves header families', () => {
    const families = (headers: unknown) => createHttpRateLimiter({ ...base, headers } as RateLimitOptions).config.headers;
    expect(families(undefined)).toEqual({ legacy: true, ietf: true, tenant: true });
    expect(families(false)).toEqual({ legacy: false, ietf: false, tenant: false });
    expect(families({ ietf: false })).toEqual({ legacy: true, ietf: false, tenant: true });
  });

  it('disables the admin API with admin: false', () => {
    expect(createHttpRateLimiter({ ...base, admin: false }).admin).toBeUndefined();
    expect(createHttpRateLimiter({ ...base, clock: new FakeClock() }).admin?.prefix).toBe('/admin/ratelimit');
    expect(createHttpRateLimiter({ ...base, admin: { prefix: '/ops/limits/' } }).admin?.prefix).toBe('/ops/limits');
  });
});

describe('options of the limiters people migrate from (issue 14)', () => {
  it.each([
    ['windowMs', 'express-rate-limit', 'tiers.<tier>.requestsPerSecond', 'docs/migration/express-rate-limit.md'],
    ['max', 'express-rate-limit and @fastify/rate-limit', 'burstSize', 'docs/migration/express-rate-limit.md'],
    ['points', 'rate-limiter-flexible', 'requestsPerSecond', 'docs/migration/rate-limiter-flexible.md'],
    ['timeWindow', '@fastify/rate-limit', 'burstSize', 'docs/migration/fastify-rate-limit.md'],
    ['ttl', '@nestjs/throttler', 'burstSize', 'docs/migration/nestjs-throttler.md'],
    ['keyGenerator', 'express-rate-limit', 'resolveTenant', 'docs/migration/express-rate-limit.md'],
    ['errorResponseBuilder', '@fastify/rate-limit', 'refusal', 'docs/migration/fastify-rate-limit.md'],
    ['standardHeaders', 'express-rate-limit', 'headers: { ietf, legacy, tenant }', 'docs/migration/express-rate-limit.md'],
    ['allowList', '@fastify/rate-limit', 'skip(req)', 'docs/migration/fastify-rate-limit.md'],
    ['storeClient', 'rate-limiter-flexible', 'createRedisStore({ client })', 'docs/migration/rate-limiter-flexible.md'],
    ['insuranceLimiter', 'rate-limiter-flexible', 'fallbackStore', 'docs/migration/rate-limiter-flexible.md'],
  ])('names %s as an option of %s and says what to use instead', (key, peer, instead, guide) => {
    for (const issues of [managerIssues({ [key]: 1 }), httpIssues({ [key]: 1 })]) {
      expect(issues[key]).toContain(`is an option of ${peer}`);
      expect(issues[key]).toContain(instead);
      expect(issues[key]).toContain(guide);
    }
  });

  it('reports each peer option of a migrated config at once, beside the real problems', () => {
    const issues = managerIssues({ windowMs: 60_000, max: 100, legacyHeaders: false, storeTimeoutMs: 0 });
    expect(Object.keys(issues).sort()).toEqual(['legacyHeaders', 'max', 'storeTimeoutMs', 'windowMs']);
  });

  it('names peer options beside a ready manager too', () => {
    const manager = createRateLimitManager(base);
    expect(thrown(() => createHttpRateLimiter({ manager, keyGenerator: () => 'x' } as RateLimitOptions))).toMatchObject({
      issues: [{ key: 'keyGenerator', message: expect.stringContaining('resolveTenant') }],
    });
  });

  it('names peer options in route limits (Fastify route config, NestJS @RateLimit)', async () => {
    const { parseRouteLimits } = await import('../src/adapter.js');
    expect(thrown(() => parseRouteLimits({ max: 5, timeWindow: '1 minute' }, 'GET /x config.rateLimit'))).toMatchObject({
      issues: [
        { key: 'GET /x config.rateLimit.max', message: expect.stringContaining('burstSize') },
        { key: 'GET /x config.rateLimit.timeWindow', message: expect.stringContaining('docs/migration/fastify-rate-limit.md') },
      ],
    });
  });
});
