/**
 * Type tests (issue 14): the Express factory's options are checked at compile time: typos, tier
 * names (the defaults, and those the call's `tiers` declares), hook types.
 */
import type { Request } from 'express';
import { describe, expectTypeOf, it } from 'vitest';
import { createRateLimitMiddleware, type ExpressRateLimitOptions, type RateLimitMiddleware } from '../src/index.js';

const gold = { requestsPerSecond: 1, burstSize: 3, maxConcurrentRequests: 7 };

describe('createRateLimitMiddleware options', () => {
  it('accepts the default tiers without declaring anything', () => {
    expectTypeOf(createRateLimitMiddleware({ tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] })).toEqualTypeOf<RateLimitMiddleware>();
    createRateLimitMiddleware();
  });

  it('accepts the tiers the call declares, and refuses a misspelt one', () => {
    createRateLimitMiddleware({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gold' }], anonymous: { tier: 'gold' } });
    // @ts-expect-error 'gld' is not a declared tier
    createRateLimitMiddleware({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gld' }] });
  });

  it('refuses a misspelt option, an undeclared tier and a string cost', () => {
    // @ts-expect-error tierRule: the option is tierRules
    createRateLimitMiddleware({ tierRule: [{ pattern: 'x', tier: 'free' }] });
    // @ts-expect-error no tier 'gold' without a declaration
    createRateLimitMiddleware({ tierRules: [{ pattern: 'x', tier: 'gold' }] });
    // @ts-expect-error cost is a function of the request
    createRateLimitMiddleware({ cost: '5' });
  });

  it('gives the hooks Express’s request', () => {
    createRateLimitMiddleware({
      resolveTenant: (req) => {
        expectTypeOf(req).toEqualTypeOf<Request>();
        return req.get('x-tenant');
      },
      skip: (req) => {
        expectTypeOf(req).toEqualTypeOf<Request>();
        return req.path === '/health';
      },
      cost: (req) => {
        expectTypeOf(req).toEqualTypeOf<Request>();
        return req.method === 'POST' ? 5 : undefined;
      },
    });
    expectTypeOf<Parameters<NonNullable<ExpressRateLimitOptions['cost']>>[0]>().toEqualTypeOf<Request>();
  });
});
