import { describe, expect, it } from 'vitest';
import { createRateLimitManager, DEFAULT_TIER_QUOTAS, ENV_PREFIX, ENV_VARS, loadConfigFromEnv, RateLimitConfigError, REDIS_URL_VAR } from '../src/index.js';
import { createHttpRateLimiter } from '../src/adapter.js';
import { parseTrustProxy } from '../src/config/env/parsers.js';
import { issueKeys, thrown } from './support.js';

const P = ENV_PREFIX;

/** For every variable: a good value, what it becomes, and a bad value (undefined: none exists). */
const CASES: Record<string, { good: string; expect: Record<string, unknown>; bad?: string }> = {
  [REDIS_URL_VAR]: { good: 'redis://cache.internal:6379/0', expect: { redisUrl: 'redis://cache.internal:6379/0' }, bad: 'http://cache:6379' },
  [`${P}CIRCUIT_THRESHOLD`]: { good: '7', expect: { circuitBreaker: { minimumCalls: 7 } }, bad: '0' },
  [`${P}CIRCUIT_FAILURE_RATE`]: { good: '37.5', expect: { circuitBreaker: { failureRateThreshold: 37.5 } }, bad: '101' },
  [`${P}CIRCUIT_MINIMUM_CALLS`]: { good: '20', expect: { circuitBreaker: { minimumCalls: 20 } }, bad: '2.5' },
  [`${P}CIRCUIT_WINDOW_MS`]: { good: '2000', expect: { circuitBreaker: { slidingWindowMs: 2000 } }, bad: '2147483648' },
  [`${P}CIRCUIT_RESET_TIMEOUT`]: { good: '30', expect: { circuitBreaker: { resetTimeoutMs: 30_000 } }, bad: '-1' },
  [`${P}CIRCUIT_HALF_OPEN_PROBES`]: { good: '3', expect: { circuitBreaker: { halfOpenProbes: 3 } }, bad: '1.5' },
  [`${P}CIRCUIT_SLOW_CALL_MS`]: { good: '250', expect: { circuitBreaker: { slowCallMs: 250 } }, bad: 'slow' },
  [`${P}TENANT_HEADERS`]: { good: 'X-Org, X-Team', expect: { tenantHeaders: ['X-Org', 'X-Team'] }, bad: 'X Org' },
  [`${P}DEFAULT_TIER`]: { good: 'Premium', expect: { defaultTier: 'premium' }, bad: 'gold' },
  [`${P}TIER_RULES`]: {
    good: 'ent-*=enterprise, trial-?=basic',
    expect: {
      tierRules: [
        { pattern: 'ent-*', tier: 'enterprise' },
        { pattern: 'trial-?', tier: 'basic' },
      ],
    },
    bad: 'ent-*',
  },
  [`${P}ANONYMOUS`]: { good: 'shared', expect: { anonymous: { mode: 'shared' } }, bad: 'nobody' },
  [`${P}ANONYMOUS_TIER`]: { good: 'basic', expect: { anonymous: { tier: 'basic' } }, bad: 'gold' },
  [`${P}IPV4_PREFIX`]: { good: '24', expect: { anonymous: { ipv4Prefix: 24 } }, bad: '33' },
  [`${P}IPV6_PREFIX`]: { good: '64', expect: { anonymous: { ipv6Prefix: 64 } }, bad: '129' },
  [`${P}TRUST_PROXY`]: { good: '10.0.0.0/8, 192.168.1.1', expect: { trustProxy: ['10.0.0.0/8', '192.168.1.1'] }, bad: 'maybe' },
  [`${P}SHADOW`]: { good: 'yes', expect: { shadow: true }, bad: 'perhaps' },
  [`${P}STORE_TIMEOUT_MS`]: { good: '50', expect: { storeTimeoutMs: 50 }, bad: '0' },
  [`${P}LOOKUP_TIMEOUT_MS`]: { good: '250', expect: { lookupTimeoutMs: 250 }, bad: '1e10' },
  [`${P}FAIL_MODE`]: { good: 'CLOSED', expect: { failMode: 'closed' }, bad: 'ignore' },
  [`${P}FALLBACK_SHARE`]: { good: '3', expect: { fallbackShare: 3 }, bad: '0' },
  [`${P}LEASE_MS`]: { good: '30000', expect: { concurrencyLeaseMs: 30_000 }, bad: 'soon' },
  [`${P}PROBLEM_FORMAT`]: { good: 'rfc9457', expect: { problemFormat: 'rfc9457' }, bad: 'xml' },
  [`${P}REQUEST_ID_HEADER`]: { good: 'X-Correlation-ID', expect: { requestIdHeader: 'X-Correlation-ID' }, bad: 'X Correlation' },
  [`${P}ADMIN_TOKEN`]: { good: 's3cret-token-0123456', expect: { adminToken: 's3cret-token-0123456' }, bad: 'abc def-0123456789' },
  [`${P}REDIS_PREFIX`]: { good: 'myapp:rl:', expect: { redisKeyPrefix: 'myapp:rl:' }, bad: 'my{app}' },
  [`${P}FREE_RPS`]: { good: '12.5', expect: { tiers: { free: { requestsPerSecond: 12.5 } } }, bad: '1000001' },
  [`${P}FREE_BURST`]: { good: '25', expect: { tiers: { free: { burstSize: 25 } } }, bad: '2.5' },
  [`${P}FREE_MAX_CONCURRENT`]: { good: '10', expect: { tiers: { free: { maxConcurrentRequests: 10 } } }, bad: '0' },
  [`${P}FREE_PRIORITY`]: { good: '0.25', expect: { tiers: { free: { priorityBoost: 0.25 } } }, bad: '-1' },
  [`${P}BASIC_RPS`]: { good: '30', expect: { tiers: { basic: { requestsPerSecond: 30 } } }, bad: '0' },
  [`${P}BASIC_BURST`]: { good: '60', expect: { tiers: { basic: { burstSize: 60 } } }, bad: '0' },
  [`${P}BASIC_MAX_CONCURRENT`]: { good: '20', expect: { tiers: { basic: { maxConcurrentRequests: 20 } } }, bad: 'many' },
  [`${P}BASIC_PRIORITY`]: { good: '0.9', expect: { tiers: { basic: { priorityBoost: 0.9 } } }, bad: '0' },
  [`${P}PREMIUM_RPS`]: { good: '150', expect: { tiers: { premium: { requestsPerSecond: 150 } } }, bad: 'NaN' },
  [`${P}PREMIUM_BURST`]: { good: '300', expect: { tiers: { premium: { burstSize: 300 } } }, bad: '-300' },
  [`${P}PREMIUM_MAX_CONCURRENT`]: { good: '600', expect: { tiers: { premium: { maxConcurrentRequests: 600 } } }, bad: '1e1.5' },
  [`${P}PREMIUM_PRIORITY`]: { good: '1', expect: { tiers: { premium: { priorityBoost: 1 } } }, bad: 'high' },
  [`${P}ENTERPRISE_RPS`]: { good: '1e3', expect: { tiers: { enterprise: { requestsPerSecond: 1000 } } }, bad: 'Infinity' },
  [`${P}ENTERPRISE_BURST`]: { good: '2000', expect: { tiers: { enterprise: { burstSize: 2000 } } }, bad: '0x10' },
  [`${P}ENTERPRISE_MAX_CONCURRENT`]: { good: '1500', expect: { tiers: { enterprise: { maxConcurrentRequests: 1500 } } }, bad: '10 0' },
  [`${P}ENTERPRISE_PRIORITY`]: { good: '2', expect: { tiers: { enterprise: { priorityBoost: 2 } } }, bad: '1e999' },
  [`${P}LOAD_ENABLED`]: { good: 'off', expect: { load: { enabled: false } }, bad: 'sometimes' },
  [`${P}LOAD_THRESHOLD`]: { good: '0.7', expect: { load: { threshold: 0.7 } }, bad: '1' },
  [`${P}LOAD_MIN_FACTOR`]: { good: '0.2', expect: { load: { minFactor: 0.2 } }, bad: '0' },
  [`${P}LOAD_FLOOR`]: { good: '0.25', expect: { load: { floor: { free: 0.25, basic: 0.25, premium: 0.25, enterprise: 0.25 } } }, bad: '1.5' },
  [`${P}FREE_LOAD_FLOOR`]: { good: '0', expect: { load: { floor: { free: 0 } } }, bad: '-0.1' },
  [`${P}BASIC_LOAD_FLOOR`]: { good: '0.1', expect: { load: { floor: { basic: 0.1 } } }, bad: 'low' },
  [`${P}PREMIUM_LOAD_FLOOR`]: { good: '0.3', expect: { load: { floor: { premium: 0.3 } } }, bad: '2' },
  [`${P}ENTERPRISE_LOAD_FLOOR`]: { good: '1', expect: { load: { floor: { enterprise: 1 } } }, bad: 'NaN' },
  [`${P}LOAD_SIGNALS`]: {
    good: 'eventLoopUtilization, eventLoopDelay',
    expect: { load: { signals: ['eventLoopUtilization', 'eventLoopDelay'] } },
    bad: 'cpu',
  },
  [`${P}LOAD_IN_FLIGHT_CAPACITY`]: { good: '256', expect: { load: { inFlightCapacity: 256 } }, bad: '0' },
  [`${P}LOAD_DELAY_CEILING_MS`]: { good: '50', expect: { load: { delayCeilingMs: 50 } }, bad: '-5' },
  [`${P}LOAD_SAMPLE_INTERVAL_MS`]: { good: '500', expect: { load: { sampleIntervalMs: 500 } }, bad: '0' },
  [`${P}LOAD_SMOOTHING_MS`]: { good: '0', expect: { load: { smoothingMs: 0 } }, bad: '-1' },
  [`${P}LOAD_FLEET`]: { good: 'true', expect: { load: { fleet: true } }, bad: 'mean' },
  [`${P}LOAD_SHED_STATUS`]: { good: '429', expect: { load: { shedStatus: 429 } }, bad: '500' },
  [`${P}LOG_LEVEL`]: { good: 'Debug', expect: { logLevel: 'debug' }, bad: 'loud' },
  [`${P}LEASING`]: { good: 'off', expect: { leasing: false }, bad: 'sometimes' },
};

describe('ENV_VARS', () => {
  it('is exactly the set of variables tested here (a new variable needs a test)', () => {
    expect([...ENV_VARS].sort()).toEqual(Object.keys(CASES).sort());
  });

  it('keeps the AURUM_API_RATE_LIMIT_ prefix for every variable but the shared Redis URL', () => {
    for (const name of ENV_VARS) if (name !== REDIS_URL_VAR) expect(name.startsWith('AURUM_API_RATE_LIMIT_')).toBe(true);
    expect(REDIS_URL_VAR).toBe('AURUM_API_CACHE_REDIS_URL');
  });
});

describe('loadConfigFromEnv', () => {
  it('returns an empty config for an empty environment', () => {
    expect(loadConfigFromEnv({})).toEqual({});
  });

  it('ignores variables outside the prefix', () => {
    expect(loadConfigFromEnv({ PATH: '/bin', AURUM_API_OTHER_THING: 'x', NODE_ENV: 'test' })).toEqual({});
  });

  it.each(Object.entries(CASES))('reads %s', (name, c) => {
    expect(loadConfigFromEnv({ [name]: c.good })).toEqual(c.expect);
  });

  it.each(Object.entries(CASES).filter(([, c]) => c.bad !== undefined))('rejects a bad %s, naming it', (name, c) => {
    const error = thrown(() => loadConfigFromEnv({ [name]: c.bad }));
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect((error as RateLimitConfigError).code).toBe('ERR_AURUM_CONFIG');
    expect(issueKeys(error)).toEqual([name]);
    expect((error as Error).message).toContain(name);
  });

  it('names EVERY bad variable in one error', () => {
    const env: Record<string, string> = { [`${P}CIRCUIT_TRESHOLD`]: '5' };
    for (const [name, c] of Object.entries(CASES)) if (c.bad !== undefined) env[name] = c.bad;
    const error = thrown(() => loadConfigFromEnv(env));
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect(issueKeys(error).sort()).toEqual(Object.keys(env).sort());
    for (const name of Object.keys(env)) expect((error as Error).message).toContain(name);
  });

  it('merges the variables of one group', () => {
    expect(
      loadConfigFromEnv({
        [`${P}CIRCUIT_THRESHOLD`]: '2',
        [`${P}CIRCUIT_RESET_TIMEOUT`]: '0.5',
        [`${P}FREE_RPS`]: '1',
        [`${P}FREE_BURST`]: '2',
        [`${P}ANONYMOUS`]: 'ip',
        [`${P}IPV6_PREFIX`]: '48',
      }),
    ).toEqual({
      circuitBreaker: { minimumCalls: 2, resetTimeoutMs: 500 },
      tiers: { free: { requestsPerSecond: 1, burstSize: 2 } },
      anonymous: { mode: 'ip', ipv6Prefix: 48 },
    });
  });

  it('trims values and treats empty or blank values as unset', () => {
    expect(loadConfigFromEnv({ [`${P}FREE_BURST`]: '  25 ', [`${P}SHADOW`]: '', [`${P}FAIL_MODE`]: '   ' })).toEqual({ tiers: { free: { burstSize: 25 } } });
  });

  it('reads booleans in the usual spellings', () => {
    for (const v of ['1', 'true', 'YES', 'on']) expect(loadConfigFromEnv({ [`${P}SHADOW`]: v }).shadow).toBe(true);
    for (const v of ['0', 'false', 'No', 'OFF']) expect(loadConfigFromEnv({ [`${P}SHADOW`]: v }).shadow).toBe(false);
  });

  it('accepts rediss:// and rejects a URL without a host', () => {
    expect(loadConfigFromEnv({ [REDIS_URL_VAR]: 'rediss://user:pw@cache:6380' }).redisUrl).toBe('rediss://user:pw@cache:6380');
    expect(issueKeys(thrown(() => loadConfigFromEnv({ [REDIS_URL_VAR]: 'redis://' })))).toEqual([REDIS_URL_VAR]);
    expect(issueKeys(thrown(() => loadConfigFromEnv({ [REDIS_URL_VAR]: 'not a url' })))).toEqual([REDIS_URL_VAR]);
  });

  it('rejects Infinity spelled as a huge exponent for every positive number', () => {
    for (const name of [`${P}STORE_TIMEOUT_MS`, `${P}LEASE_MS`, `${P}CIRCUIT_RESET_TIMEOUT`, `${P}CIRCUIT_SLOW_CALL_MS`]) {
      expect(issueKeys(thrown(() => loadConfigFromEnv({ [name]: '1e999' })))).toEqual([name]);
    }
  });

  it('reads the trust-proxy forms', () => {
    expect(loadConfigFromEnv({ [`${P}TRUST_PROXY`]: 'true' }).trustProxy).toBe(true);
    expect(loadConfigFromEnv({ [`${P}TRUST_PROXY`]: 'false' }).trustProxy).toBe(false);
    expect(loadConfigFromEnv({ [`${P}TRUST_PROXY`]: '2' }).trustProxy).toBe(2);
  });

  it('lists the bad entries of a list variable', () => {
    const error = thrown(() => loadConfigFromEnv({ [`${P}TIER_RULES`]: 'ent-*=enterprise,=basic,x=gold' }));
    expect((error as RateLimitConfigError).issues[0]?.message).toContain('=basic, x=gold');
    const headers = thrown(() => loadConfigFromEnv({ [`${P}TENANT_HEADERS`]: 'X-Ok,X(bad)' }));
    expect((headers as RateLimitConfigError).issues[0]?.message).toContain('X(bad)');
    expect(issueKeys(thrown(() => loadConfigFromEnv({ [`${P}TENANT_HEADERS`]: ' , ' })))).toEqual([`${P}TENANT_HEADERS`]);
  });

  it('says what was expected and what it got', () => {
    const error = thrown(() => loadConfigFromEnv({ [`${P}FREE_BURST`]: '2.5' })) as RateLimitConfigError;
    expect(error.issues[0]?.message).toBe('must be a whole number >= 1, got "2.5"');
    const prefix = thrown(() => loadConfigFromEnv({ [`${P}IPV4_PREFIX`]: '40' })) as RateLimitConfigError;
    expect(prefix.issues[0]?.message).toBe('must be a whole number in [0, 32], got "40"');
  });
});

describe('circuit breaker variables', () => {
  it('read the failure-rate policy together', () => {
    expect(
      loadConfigFromEnv({
        [`${P}CIRCUIT_FAILURE_RATE`]: '60',
        [`${P}CIRCUIT_MINIMUM_CALLS`]: '10',
        [`${P}CIRCUIT_WINDOW_MS`]: '5000',
        [`${P}CIRCUIT_RESET_TIMEOUT`]: '1.1',
      }),
    ).toEqual({ circuitBreaker: { failureRateThreshold: 60, minimumCalls: 10, slidingWindowMs: 5000, resetTimeoutMs: 1100 } });
  });

  it('map the seed CIRCUIT_THRESHOLD to minimumCalls, and refuse it beside CIRCUIT_MINIMUM_CALLS', () => {
    expect(loadConfigFromEnv({ [`${P}CIRCUIT_THRESHOLD`]: '5' })).toEqual({ circuitBreaker: { minimumCalls: 5 } });
    const error = thrown(() => loadConfigFromEnv({ [`${P}CIRCUIT_THRESHOLD`]: '5', [`${P}CIRCUIT_MINIMUM_CALLS`]: '8' })) as RateLimitConfigError;
    expect(issueKeys(error)).toEqual([`${P}CIRCUIT_THRESHOLD`]);
    expect(error.issues[0]?.message).toBe(`is the old name of ${P}CIRCUIT_MINIMUM_CALLS: set only ${P}CIRCUIT_MINIMUM_CALLS`);
  });

  it.each([
    ['CIRCUIT_FAILURE_RATE', '0'],
    ['CIRCUIT_FAILURE_RATE', '-5'],
    ['CIRCUIT_MINIMUM_CALLS', '0'],
    ['CIRCUIT_WINDOW_MS', '0'],
    ['CIRCUIT_WINDOW_MS', '100.5'],
    ['CIRCUIT_RESET_TIMEOUT', '0.0005'],
    ['CIRCUIT_RESET_TIMEOUT', '2147484'],
    ['CIRCUIT_RESET_TIMEOUT', '1e999'],
    ['CIRCUIT_SLOW_CALL_MS', '2147483648'],
  ])('reject %s=%s', (name, value) => {
    expect(issueKeys(thrown(() => loadConfigFromEnv({ [`${P}${name}`]: value })))).toEqual([`${P}${name}`]);
  });

  it('accept the largest timer a Node.js timer takes', () => {
    expect(loadConfigFromEnv({ [`${P}CIRCUIT_RESET_TIMEOUT`]: '2147483.647', [`${P}CIRCUIT_WINDOW_MS`]: '2147483647' })).toEqual({
      circuitBreaker: { resetTimeoutMs: 2 ** 31 - 1, slidingWindowMs: 2 ** 31 - 1 },
    });
  });

  it('reach the breaker a manager builds, with the seed variable as minimumCalls', () => {
    const manager = createRateLimitManager({
      env: { [`${P}CIRCUIT_THRESHOLD`]: '3', [`${P}CIRCUIT_FAILURE_RATE`]: '25', [`${P}CIRCUIT_WINDOW_MS`]: '250' },
      load: { enabled: false },
    });
    expect([manager.breaker.minimumCalls, manager.breaker.failureRateThreshold, manager.breaker.slidingWindowMs]).toEqual([3, 25, 250]);
  });
});

describe('unknown AURUM_API_RATE_LIMIT_* variables', () => {
  it('are rejected with a did-you-mean hint for a near miss', () => {
    const error = thrown(() => loadConfigFromEnv({ [`${P}CIRCUIT_TRESHOLD`]: '5' })) as RateLimitConfigError;
    expect(issueKeys(error)).toEqual([`${P}CIRCUIT_TRESHOLD`]);
    expect(error.issues[0]?.message).toBe(`is not a known variable (did you mean ${P}CIRCUIT_THRESHOLD?)`);
  });

  it('suggest the tier variable for a misspelt tier name', () => {
    const error = thrown(() => loadConfigFromEnv({ [`${P}PREMUIM_RPS`]: '5' })) as RateLimitConfigError;
    expect(error.issues[0]?.message).toContain(`did you mean ${P}PREMIUM_RPS?`);
  });

  it('are rejected without a hint when nothing is close', () => {
    const error = thrown(() => loadConfigFromEnv({ [`${P}SOMETHING_ELSE_ENTIRELY`]: '1' })) as RateLimitConfigError;
    expect(error.issues[0]?.message).toBe('is not a known variable');
  });

  it('are rejected even when empty', () => {
    expect(issueKeys(thrown(() => loadConfigFromEnv({ [`${P}BURST`]: '' })))).toEqual([`${P}BURST`]);
  });
});

describe('parseTrustProxy', () => {
  it.each<[string, unknown]>([
    ['true', true],
    ['ON', true],
    ['no', false],
    ['0', 0],
    ['3', 3],
    ['10.0.0.0/8', ['10.0.0.0/8']],
    [' fd00::/8 , 203.0.113.7 ', ['fd00::/8', '203.0.113.7']],
    ['maybe', undefined],
    ['10.0.0.0/', undefined],
    ['10.0.0.0/33', undefined],
    ['10.0.0.0/8/9', undefined],
    ['10.0.0.0/x', undefined],
    ['', undefined],
  ])('parses %j', (text, expected) => {
    expect(parseTrustProxy(text)).toEqual(expected);
  });
});

describe('environment defaults as the manager applies them', () => {
  it('uses the seed defaults when nothing is set', () => {
    const manager = createRateLimitManager({ env: {}, load: { enabled: false } });
    expect(manager.breaker.failureRateThreshold).toBe(50);
    expect(manager.breaker.minimumCalls).toBe(5);
    expect(manager.breaker.slidingWindowMs).toBe(1000);
    expect(manager.breaker.resetTimeoutMs).toBe(60_000);
    expect(manager.config.tiers).toEqual(DEFAULT_TIER_QUOTAS);
    expect(manager.config.defaultTier).toBe('free');
    expect(manager.config.storeTimeoutMs).toBe(100);
    expect(manager.config.failMode).toBe('fallback');
    expect(manager.config.concurrencyLeaseMs).toBe(60_000);
    const http = createHttpRateLimiter({ env: {}, load: { enabled: false } });
    expect(http.config.tenantHeaders).toEqual(['x-tenant-id', 'x-aurum-tenant']);
    expect(http.config.requestIdHeader).toBe('x-request-id');
    expect(http.config.anonymous).toEqual({ mode: 'ip', tier: 'free', ipv4Prefix: 32, ipv6Prefix: 56 });
    expect(http.config.problemFormat).toBe('aurum');
    expect(http.config.trustProxy).toBe(false);
  });

  it('applies the environment to a manager and an HTTP limiter', () => {
    const env = {
      [`${P}CIRCUIT_THRESHOLD`]: '9',
      [`${P}CIRCUIT_RESET_TIMEOUT`]: '15',
      [`${P}FREE_RPS`]: '2',
      [`${P}DEFAULT_TIER`]: 'basic',
      [`${P}TENANT_HEADERS`]: 'X-Org',
      [`${P}ANONYMOUS`]: 'reject',
      [`${P}ADMIN_TOKEN`]: 'tok-0123456789abcdef',
    };
    const manager = createRateLimitManager({ env, load: { enabled: false } });
    expect(manager.breaker.minimumCalls).toBe(9);
    expect(manager.breaker.resetTimeoutMs).toBe(15_000);
    expect(manager.config.tiers.free).toEqual({ ...DEFAULT_TIER_QUOTAS.free, requestsPerSecond: 2 });
    expect(manager.config.defaultTier).toBe('basic');
    const http = createHttpRateLimiter({ env, load: { enabled: false } });
    expect(http.config.tenantHeaders).toEqual(['x-org']);
    expect(http.config.anonymous.mode).toBe('reject');
    expect(http.config.admin).toMatchObject({ token: 'tok-0123456789abcdef' });
  });

  it('fails manager creation on a bad environment', () => {
    expect(issueKeys(thrown(() => createRateLimitManager({ env: { [`${P}FREE_RPS`]: '0' } })))).toEqual([`${P}FREE_RPS`]);
  });

  it('ignores the environment with env: false', () => {
    const manager = createRateLimitManager({ env: false, load: { enabled: false } });
    expect(manager.config.env).toEqual({});
  });
});
