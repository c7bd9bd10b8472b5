import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRateLimitManager, type RateLimitDecision, type RateLimitManagerOptions } from '../src/index.js';
import { ALL_HEADER_FAMILIES, CONCURRENCY_RETRY_AFTER, concurrencyHeaders, rateLimitHeaders } from '../src/adapter.js';
import { policyHeaderValues } from '../src/http/policy-headers.js';
import { FakeClock } from './support.js';

function manager(options: RateLimitManagerOptions = {}) {
  const clock = new FakeClock();
  return { clock, m: createRateLimitManager({ env: false, load: { enabled: false }, clock, ...options }) };
}

async function eleven() {
  const { m } = manager();
  const decisions: RateLimitDecision[] = [];
  for (let i = 0; i < 11; i++) decisions.push(await m.checkRateLimit('acme-corp', '/v1/items'));
  return decisions;
}

describe('rateLimitHeaders', () => {
  it('gives the exact headers of an allowed decision', async () => {
    const [first] = await eleven();
    expect(rateLimitHeaders(first as RateLimitDecision)).toEqual({
      'X-RateLimit-Limit': '10',
      'X-RateLimit-Remaining': '9',
      'X-RateLimit-Reset': '1',
      'RateLimit-Policy': '"free";q=10;w=2',
      RateLimit: '"free";r=9;t=1',
      'X-RateLimit-Tenant': 'acme-corp',
      'X-RateLimit-Tier': 'free',
    });
  });

  it('gives the exact headers of a denied decision', async () => {
    const decisions = await eleven();
    expect(rateLimitHeaders(decisions[10] as RateLimitDecision)).toEqual({
      'X-RateLimit-Limit': '10',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '1',
      'RateLimit-Policy': '"free";q=10;w=2',
      RateLimit: '"free";r=0;t=1',
      'X-RateLimit-Tenant': 'acme-corp',
      'X-RateLimit-Tier': 'free',
      'Retry-After': '1',
    });
  });

  it('shows the full-bucket time as Reset while allowed', async () => {
    const decisions = await eleven();
    expect(rateLimitHeaders(decisions[9] as RateLimitDecision)).toMatchObject({ 'X-RateLimit-Reset': '2', RateLimit: '"free";r=0;t=2' });
  });

  it('rounds Retry-After up to whole seconds, and t equals it', async () => {
    const { m } = manager({ tiers: { free: { requestsPerSecond: 0.3, burstSize: 1 } } });
    await m.checkRateLimit('acme-corp', '/');
    const denied = await m.checkRateLimit('acme-corp', '/');
    expect(denied.metadata.retryAfterMs).toBe(3334);
    const h = rateLimitHeaders(denied);
    expect(h['Retry-After']).toBe('4');
    expect(h.RateLimit).toBe('"free";r=0;t=4');
    expect(h['X-RateLimit-Reset']).toBe('4');
    expect(h['RateLimit-Policy']).toBe('"free";q=1;w=4');
  });

  it('names the policy of a route bucket after tier and bucket', async () => {
    const { m } = manager({ routes: [{ path: '/v1/search', bucket: 'search', quota: { requestsPerSecond: 1, burstSize: 3 } }] });
    const d = await m.checkRateLimit('acme-corp', '/v1/search');
    expect(rateLimitHeaders(d)).toMatchObject({ 'RateLimit-Policy': '"free-search";q=3;w=3', RateLimit: '"free-search";r=2;t=1' });
  });

  it('escapes quotes and backslashes in a policy name', async () => {
    const [first] = await eleven();
    const d = first as RateLimitDecision;
    const odd = { ...d, metadata: { ...d.metadata, policy: 'a"b\\c' } };
    expect(rateLimitHeaders(odd)['RateLimit-Policy']).toBe('"a\\"b\\\\c";q=10;w=2');
  });

  it('switches each family off', async () => {
    const decisions = await eleven();
    const allowed = decisions[0] as RateLimitDecision;
    expect(Object.keys(rateLimitHeaders(allowed, { ...ALL_HEADER_FAMILIES, legacy: false })).sort()).toEqual(
      ['RateLimit', 'RateLimit-Policy', 'X-RateLimit-Tenant', 'X-RateLimit-Tier'].sort(),
    );
    expect(Object.keys(rateLimitHeaders(allowed, { ...ALL_HEADER_FAMILIES, ietf: false })).sort()).toEqual(
      ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'X-RateLimit-Tenant', 'X-RateLimit-Tier'].sort(),
    );
    expect(Object.keys(rateLimitHeaders(allowed, { ...ALL_HEADER_FAMILIES, tenant: false })).sort()).toEqual(
      ['RateLimit', 'RateLimit-Policy', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'].sort(),
    );
    expect(rateLimitHeaders(allowed, { legacy: false, ietf: false, tenant: false })).toEqual({});
  });

  it('always sends what a denial needs, even with every family off', async () => {
    const decisions = await eleven();
    expect(rateLimitHeaders(decisions[10] as RateLimitDecision, { legacy: false, ietf: false, tenant: false })).toEqual({
      'Retry-After': '1',
      'X-RateLimit-Tenant': 'acme-corp',
      'X-RateLimit-Tier': 'free',
    });
  });

  it('sends nothing for a skipped decision', async () => {
    const { m } = manager({ routes: [{ path: '/health', skip: true }] });
    expect(rateLimitHeaders(await m.checkRateLimit('acme-corp', '/health'))).toEqual({});
  });

  it('invariants over random traffic: strings only, Retry-After whole, ≥ 1 and ≥ t, r = Remaining', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ requestsPerSecond: fc.integer({ min: 1, max: 50 }), burstSize: fc.integer({ min: 1, max: 20 }) }),
        fc.array(fc.record({ wait: fc.integer({ min: 0, max: 1500 }), cost: fc.integer({ min: 1, max: 25 }) }), { minLength: 1, maxLength: 30 }),
        async (quota, steps) => {
          const { m, clock } = manager({ tiers: { free: quota } });
          for (const step of steps) {
            clock.advance(step.wait);
            const d = await m.checkRateLimit('acme-corp', '/', { cost: step.cost });
            const h = rateLimitHeaders(d);
            for (const v of Object.values(h)) expect(typeof v).toBe('string');
            expect(h['X-RateLimit-Limit']).toBe(String(quota.burstSize));
            const t = Number(/;t=(\d+)$/.exec(h.RateLimit as string)?.[1]);
            const r = Number(/;r=(\d+);/.exec(h.RateLimit as string)?.[1]);
            expect(r).toBe(Number(h['X-RateLimit-Remaining']));
            if (d.allowed) {
              expect(h['Retry-After']).toBeUndefined();
            } else {
              const retry = Number(h['Retry-After']);
              expect(Number.isInteger(retry) && retry >= 1).toBe(true);
              expect(retry).toBeGreaterThanOrEqual(t);
              expect(retry * 1000).toBeGreaterThanOrEqual(d.metadata.retryAfterMs);
            }
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('concurrencyHeaders', () => {
  it('gives the headers of a concurrency denial as strings', () => {
    const slot = { allowed: false, active: 2, limit: 2, tenantId: 'acme-corp', tier: 'free' as const, release: async () => {} };
    expect(concurrencyHeaders(slot)).toEqual({
      'Retry-After': String(CONCURRENCY_RETRY_AFTER),
      'X-RateLimit-Tenant': 'acme-corp',
      'X-RateLimit-Tier': 'free',
      'X-Concurrency-Limit': '2',
    });
    expect(CONCURRENCY_RETRY_AFTER).toBe(1);
  });
});

describe('policy header values', () => {
  it('are built once per policy and shared by every response under it', () => {
    const a = policyHeaderValues('free', 10, 2);
    expect(a).toEqual({ limit: 10, window: 2, limitValue: '10', quotedName: '"free"', policyValue: '"free";q=10;w=2' });
    expect(policyHeaderValues('free', 10, 2)).toBe(a);
  });

  it('keep the variants of one name apart (overrides, load-scaled limits), and stay right past the cap', () => {
    const limits = Array.from({ length: 20 }, (_, i) => i + 1);
    for (let round = 0; round < 2; round++) {
      for (const limit of limits) {
        expect(policyHeaderValues('pro "x"', limit, 3)).toMatchObject({ limitValue: String(limit), policyValue: `"pro \\"x\\"";q=${limit};w=3` });
      }
    }
    expect(policyHeaderValues('pro "x"', 5, 4).policyValue).toBe('"pro \\"x\\"";q=5;w=4');
  });
});
