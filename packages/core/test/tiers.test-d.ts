/**
 * Type tests (issue 14): tier names are checked at compile time. Names a `tiers` option declares
 * are accepted wherever the same options object names a tier; anything else is a compile error.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { createRateLimitManager, type RateLimitManagerOptions, type RateLimitOptions, type Tier, type TierTable } from '../src/index.js';
import { createHttpRateLimiter } from '../src/adapter.js';

const gold = { requestsPerSecond: 1, burstSize: 3, maxConcurrentRequests: 7 };

describe('tier names', () => {
  it('accepts the names the options declare, wherever they name a tier', () => {
    createRateLimitManager({
      tiers: { gold, free: { burstSize: 20 } },
      defaultTier: 'gold',
      tierRules: [{ pattern: 'g-*', tier: 'gold' }],
      overrides: { acme: { tier: 'gold', burstSize: 5 } },
      resolveTier: async () => 'gold' as const,
      routes: [{ path: '/x', bucket: 'x', quota: { gold: { requestsPerSecond: 1, burstSize: 1 } } }],
      load: { floor: { gold: 0.5 } },
    });
    createHttpRateLimiter({ tiers: { gold }, anonymous: { tier: 'gold' } });
  });

  it('refuses a typo or an undeclared name', () => {
    // @ts-expect-error 'glod' is not a declared tier
    createRateLimitManager({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'glod' }] });
    // @ts-expect-error no tier 'gold' without a declaration
    createRateLimitManager({ defaultTier: 'gold' });
    // @ts-expect-error an override pins an undeclared tier
    createRateLimitManager({ tiers: { gold }, overrides: { a: { tier: 'silver' } } });
    // @ts-expect-error a load floor for an undeclared tier
    createRateLimitManager({ load: { floor: { bronze: 0.5 } } });
    // @ts-expect-error anonymous clients under an undeclared tier
    createHttpRateLimiter({ anonymous: { tier: 'gold' } });
    // @ts-expect-error a route quota for an undeclared tier
    createRateLimitManager({ routes: [{ path: '/x', bucket: 'x', quota: { silver: { requestsPerSecond: 1, burstSize: 1 } } }] });
  });

  it('needs a full quota for a tier of your own, a partial one for a default tier', () => {
    createRateLimitManager({ tiers: { premium: { burstSize: 300 } } });
    // @ts-expect-error a new tier needs requestsPerSecond and maxConcurrentRequests
    createRateLimitManager({ tiers: { premum: { burstSize: 300 } } });
    type GoldQuota = NonNullable<TierTable<'gold'>['gold']>;
    expectTypeOf<{ requestsPerSecond: number; burstSize: number; maxConcurrentRequests: number }>().toExtend<GoldQuota>();
    expectTypeOf<{ burstSize: number }>().not.toExtend<GoldQuota>();
    expectTypeOf<{ burstSize: number }>().toExtend<NonNullable<TierTable['free']>>();
  });

  it('types the manager’s inputs with the declared names', () => {
    const m = createRateLimitManager({ tiers: { gold } });
    m.anonymous('shared', 'gold');
    void m.setTenantOverride('acme', { tier: 'gold' });
    // @ts-expect-error not a declared tier
    m.anonymous('shared', 'silver');
  });

  it('keeps annotated options to the default (and registered) tiers', () => {
    expectTypeOf<Tier>().toEqualTypeOf<'free' | 'basic' | 'premium' | 'enterprise'>();
    // @ts-expect-error an annotated options object declares no names of its own
    const annotated: RateLimitManagerOptions = { defaultTier: 'gold' };
    const declared: RateLimitManagerOptions<'gold'> = { tiers: { gold }, defaultTier: 'gold' };
    const adapter: RateLimitOptions<unknown, 'gold'> = { tiers: { gold }, anonymous: { tier: 'gold' } };
    void [annotated, declared, adapter];
  });
});
