/**
 * Type tests (issue 14): the module's options (forRoot, forRootAsync) and the decorators' limits
 * are checked at compile time: typos, tier names, hook types.
 */
import type { CustomDecorator, DynamicModule } from '@nestjs/common';
import { describe, expectTypeOf, it } from 'vitest';
import { type NestRequest, RateLimit, RateLimitModule, type RateLimitModuleOptions, SkipRateLimit } from '../src/index.js';

const gold = { requestsPerSecond: 1, burstSize: 3, maxConcurrentRequests: 7 };

describe('RateLimitModule.forRoot', () => {
  it('accepts the default tiers, and the tiers the call declares', () => {
    expectTypeOf(RateLimitModule.forRoot({ global: true, tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] })).toEqualTypeOf<DynamicModule>();
    RateLimitModule.forRoot({ tiers: { gold }, defaultTier: 'gold', tierRules: [{ pattern: 'g-*', tier: 'gold' }] });
  });

  it('refuses a misspelt option or tier and a string cost', () => {
    // @ts-expect-error 'gld' is not a declared tier
    RateLimitModule.forRoot({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gld' }] });
    // @ts-expect-error no tier 'gold' without a declaration
    RateLimitModule.forRoot({ defaultTier: 'gold' });
    // @ts-expect-error tierRule: the option is tierRules
    RateLimitModule.forRoot({ tierRule: [] });
    // @ts-expect-error cost is a function of the request
    RateLimitModule.forRoot({ cost: '5' });
    // @ts-expect-error adminRoutes is a boolean
    RateLimitModule.forRoot({ adminRoutes: '/admin' });
  });

  it('gives the hooks the platform request', () => {
    RateLimitModule.forRoot({
      resolveTenant: (req) => {
        expectTypeOf(req).toEqualTypeOf<NestRequest>();
        return req.headers['x-tenant'];
      },
    });
    expectTypeOf<Parameters<NonNullable<RateLimitModuleOptions['cost']>>[0]>().toEqualTypeOf<NestRequest>();
  });
});

describe('RateLimitModule.forRootAsync', () => {
  it('checks the tier names of what the factory returns', () => {
    RateLimitModule.forRootAsync({ useFactory: () => ({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gold' }] }) });
    RateLimitModule.forRootAsync({ useFactory: async () => ({ tierRules: [{ pattern: 'e-*', tier: 'enterprise' }] }) });
    // @ts-expect-error no tier 'gold' without a declaration
    RateLimitModule.forRootAsync({ useFactory: () => ({ defaultTier: 'gold' }) });
    // @ts-expect-error 'gld' is not a declared tier
    RateLimitModule.forRootAsync({ useFactory: () => ({ tiers: { gold }, defaultTier: 'gld' }) });
  });
});

describe('decorators', () => {
  it('take cost and bucket, nothing else', () => {
    expectTypeOf(RateLimit({ cost: 5, bucket: 'exports' })).toEqualTypeOf<CustomDecorator<string>>();
    // @ts-expect-error cots: the limit is cost
    RateLimit({ cots: 5 });
    // @ts-expect-error cost is a number
    RateLimit({ cost: '5' });
    SkipRateLimit();
    SkipRateLimit(false);
    // @ts-expect-error SkipRateLimit takes a boolean
    SkipRateLimit('yes');
  });
});
