/**
 * Issue 11.2: no configuration the validator accepts may switch limiting off. Each value below
 * used to start cleanly and then let every request through (or open the breaker for everyone).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRateLimitManager, loadConfigFromEnv, RateLimitConfigError, type RateLimitManagerOptions } from '../src/index.js';
import { createHttpRateLimiter } from '../src/adapter.js';
import { MAX_RATE, MIN_RATE } from '../src/store.js';
import { FakeClock, issueKeys, thrown } from './support.js';

const P = 'AURUM_API_RATE_LIMIT_';
const TOKEN = 'ranges-admin-token-0123456789';
const base: RateLimitManagerOptions = { env: false, load: { enabled: false } };

const envIssues = (env: Record<string, string>) => issueKeys(thrown(() => loadConfigFromEnv(env)));
const optionIssues = (options: RateLimitManagerOptions) => issueKeys(thrown(() => createRateLimitManager({ ...base, ...options })));

describe('values that used to switch limiting off are refused at start-up, naming the field', () => {
  it.each(['1500.5', '0.5', '3e9', '1e300'])('AURUM_API_RATE_LIMIT_LEASE_MS=%s', (v) => {
    expect(envIssues({ [`${P}LEASE_MS`]: v })).toEqual([`${P}LEASE_MS`]);
  });

  it.each([1500.5, 1e300, 2 ** 31, 0])('concurrencyLeaseMs: %s', (v) => {
    expect(optionIssues({ concurrencyLeaseMs: v })).toEqual(['concurrencyLeaseMs']);
  });

  it.each([1e-310, 5e-324, 1e-20, 1e-6, MIN_RATE * 0.999, MAX_RATE * 1.001])('requestsPerSecond %s, as an option and as env', (v) => {
    expect(optionIssues({ tiers: { free: { requestsPerSecond: v } } })).toEqual(['tiers.free.requestsPerSecond']);
    expect(optionIssues({ overrides: { acme: { requestsPerSecond: v } } })).toEqual(['overrides.acme.requestsPerSecond']);
    expect(envIssues({ [`${P}FREE_RPS`]: String(v) })).toEqual([`${P}FREE_RPS`]);
  });

  it('accepts one request per day and a million per second', () => {
    expect(() =>
      createRateLimitManager({ ...base, tiers: { free: { requestsPerSecond: MIN_RATE, burstSize: 1 }, premium: { requestsPerSecond: MAX_RATE } } }),
    ).not.toThrow();
    expect(loadConfigFromEnv({ [`${P}FREE_RPS`]: String(MIN_RATE) }).tiers?.free?.requestsPerSecond).toBe(MIN_RATE);
  });

  it('refuses a refill window (burst / rate) longer than 30 days, wherever rate and burst come from', () => {
    expect(optionIssues({ tiers: { free: { requestsPerSecond: MIN_RATE, burstSize: 31 } } })).toEqual(['tiers.free']);
    expect(envIssues({ [`${P}FREE_RPS`]: String(MIN_RATE), [`${P}FREE_BURST`]: '31' })).toEqual([`${P}FREE_BURST`]);
    // Rate from the environment, burst from code: checked together.
    expect(
      issueKeys(
        thrown(() => createRateLimitManager({ env: { [`${P}FREE_RPS`]: String(MIN_RATE) }, load: { enabled: false }, tiers: { free: { burstSize: 100 } } })),
      ),
    ).toEqual(['tiers.free']);
    // An override that sets only the rate inherits the burst of whatever tier the tenant gets.
    expect(optionIssues({ overrides: { acme: { requestsPerSecond: MIN_RATE } } })).toEqual(['overrides.acme']);
    expect(() => createRateLimitManager({ ...base, overrides: { acme: { requestsPerSecond: MIN_RATE, burstSize: 30 } } })).not.toThrow();
  });

  it.each([
    ['storeTimeoutMs', { storeTimeoutMs: 3e9 }],
    ['storeTimeoutMs', { storeTimeoutMs: 2.5 }],
    ['load.sampleIntervalMs', { load: { sampleIntervalMs: 1e10 } }],
    ['tierCache.ttlMs', { tierCache: { ttlMs: 1e12 } }],
  ] as const)('timer option %s beyond 2^31-1 ms or fractional', (key, options) => {
    expect(optionIssues(options as RateLimitManagerOptions)).toEqual([key]);
  });

  it.each(['STORE_TIMEOUT_MS=3e9', 'LOAD_SAMPLE_INTERVAL_MS=1e10', 'LOAD_SMOOTHING_MS=1e12', 'STORE_TIMEOUT_MS=2.5'])('timer variable %s', (pair) => {
    const [name, value] = pair.split('=') as [string, string];
    expect(envIssues({ [P + name]: value })).toEqual([P + name]);
  });

  it.each(['abc def', 'short-token', ' padded token with spaces '])('AURUM_API_RATE_LIMIT_ADMIN_TOKEN=%j', (token) => {
    expect(envIssues({ [`${P}ADMIN_TOKEN`]: token })).toEqual([`${P}ADMIN_TOKEN`]);
  });

  it('admin.token: shorter than 16 characters or with whitespace is refused like the variable', () => {
    for (const token of ['abc def-0123456789', 'short']) {
      expect(issueKeys(thrown(() => createHttpRateLimiter({ ...base, admin: { token } })))).toEqual(['admin.token']);
    }
    expect(() => createHttpRateLimiter({ ...base, admin: { token: TOKEN } })).not.toThrow();
  });

  it('an admin override with an out-of-range rate is a 400 naming the field, on this instance and never stored', async () => {
    const http = createHttpRateLimiter({ ...base, admin: { token: TOKEN } });
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const body of [{ requestsPerSecond: 1e-310 }, { requestsPerSecond: 1e-20 }, { requestsPerSecond: MIN_RATE }, { burstSize: 2 ** 60 }]) {
      const res = await http.handleAdmin({ method: 'PUT', path: '/admin/ratelimit/tenants/acme/override', headers: auth, body });
      expect(res?.status, JSON.stringify(body)).toBe(400);
      expect(res?.body).toMatch(/requestsPerSecond|burstSize/);
      expect(http.manager.getTenantOverride('acme')).toBeUndefined();
    }
    expect(() => http.manager.setTenantOverride('acme', { requestsPerSecond: 1e-310 })).toThrow(RateLimitConfigError);
    await http.close();
  });
});

describe('policies derived at run time stay in the domain', () => {
  it('a load factor on a one-per-day rate still gives finite headers and a finite Retry-After', async () => {
    const clock = new FakeClock();
    const http = createHttpRateLimiter({
      env: false,
      clock,
      tiers: { free: { requestsPerSecond: MIN_RATE, burstSize: 1 } },
      load: { signal: () => 1, threshold: 0, minFactor: 1e-6, floor: 0, smoothingMs: 0, sampleIntervalMs: 1 },
    });
    await new Promise((r) => setTimeout(r, 20)); // one load sample
    const seen: Array<Record<string, string>> = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await http.handle({ method: 'GET', url: '/', headers: { 'x-tenant-id': 'acme' }, raw: {} });
      seen.push(outcome.headers);
    }
    for (const headers of seen) for (const value of Object.values(headers)) expect(value).not.toMatch(/NaN|Infinity|undefined/);
    await http.close();
  });
});

/** Quota values, mostly valid (log-spread rates, small bursts), some not: the validator decides. */
const rate = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: Math.log10(MIN_RATE), max: Math.log10(MAX_RATE), noNaN: true }).map((e) => 10 ** e) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 2 * MAX_RATE, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(1e-310, 5e-324, 1e-20, MIN_RATE, MAX_RATE, 0.5, 5) },
);
const burst = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 40 }) },
  { weight: 1, arbitrary: fc.constantFrom(1, 2 ** 31, Number.MAX_SAFE_INTEGER) },
);
const source = fc.constantFrom('options', 'env', 'override');

let valid = 0;

describe('property: any accepted configuration limits', () => {
  it('100 requests of one tenant at one instant admit exactly min(burst, 100) on the memory store', async () => {
    await fc.assert(
      fc.asyncProperty(rate, burst, source, async (requestsPerSecond, burstSize, from) => {
        const clock = new FakeClock();
        let manager: ReturnType<typeof createRateLimitManager>;
        try {
          if (from === 'options') manager = createRateLimitManager({ ...base, clock, tiers: { free: { requestsPerSecond, burstSize } } });
          else if (from === 'env')
            manager = createRateLimitManager({
              env: { [`${P}FREE_RPS`]: String(requestsPerSecond), [`${P}FREE_BURST`]: String(burstSize) },
              load: { enabled: false },
              clock,
            });
          else {
            manager = createRateLimitManager({ ...base, clock });
            await manager.setTenantOverride('acme', { requestsPerSecond, burstSize });
          }
        } catch (error) {
          expect(error).toBeInstanceOf(RateLimitConfigError);
          return;
        }
        valid++;
        let admitted = 0;
        for (let i = 0; i < 100; i++) if ((await manager.checkRateLimit('acme', '/')).allowed) admitted++;
        const last = await manager.checkRateLimit('acme', '/');
        expect(admitted).toBe(Math.min(burstSize, 100));
        expect(Number.isFinite(last.retryAfter) && Number.isFinite(last.metadata.remaining) && Number.isFinite(last.metadata.resetAfter)).toBe(true);
        await manager.close();
      }),
      { numRuns: 300 },
    );
    // The generators must reach accepted configurations, or the property says nothing.
    expect(valid).toBeGreaterThan(100);
  });
});
