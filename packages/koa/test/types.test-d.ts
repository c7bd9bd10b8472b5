/**
 * Type tests (issue 14): the Koa factory's options and route limits are checked at compile time:
 * typos, tier names (the defaults, and those the call's `tiers` declares), hook types.
 */
import type { Context } from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import { createRateLimitMiddleware, type KoaRateLimitOptions, type RateLimitMiddleware } from '../src/index.js';

const gold = { requestsPerSecond: 1, burstSize: 3, maxConcurrentRequests: 7 };

describe('createRateLimitMiddleware options', () => {
  it('accepts the default tiers without declaring anything', () => {
    expectTypeOf(createRateLimitMiddleware({ tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] })).toEqualTypeOf<RateLimitMiddleware>();
  });

  it('accepts the tiers the call declares, and refuses a misspelt one', () => {
    createRateLimitMiddleware({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gold' }], overrides: { acme: { tier: 'gold' } } });
    // @ts-expect-error 'gld' is not a declared tier
    createRateLimitMiddleware({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gld' }] });
  });

  it('refuses a misspelt option, an undeclared tier and a string cost', () => {
    // @ts-expect-error tierRule: the option is tierRules
    createRateLimitMiddleware({ tierRule: [{ pattern: 'x', tier: 'free' }] });
    // @ts-expect-error no tier 'gold' without a declaration
    createRateLimitMiddleware({ anonymous: { tier: 'gold' } });
    // @ts-expect-error cost is a function of the context
    createRateLimitMiddleware({ cost: '5' });
  });

  it('gives the hooks Koa’s context', () => {
    createRateLimitMiddleware({
      resolveTenant: (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<Context>();
        return ctx.get('x-tenant');
      },
      skip: (ctx) => ctx.path === '/health',
      cost: (ctx) => (ctx.method === 'POST' ? 5 : undefined),
    });
    expectTypeOf<Parameters<NonNullable<KoaRateLimitOptions['skip']>>[0]>().toEqualTypeOf<Context>();
  });
});

describe('route limits', () => {
  it('takes cost and bucket, nothing else', () => {
    const limiter = createRateLimitMiddleware();
    limiter.route({ cost: 5, bucket: 'exports' });
    // @ts-expect-error cots: the limit is cost
    limiter.route({ cots: 5 });
    // @ts-expect-error cost is a number
    limiter.route({ cost: '5' });
    // @ts-expect-error skip is not a route limit (leave the route out of the router instead)
    limiter.route({ skip: true });
  });
});
