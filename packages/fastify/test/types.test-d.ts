/**
 * Type tests (issue 14): the plugin's options and a route's `config.rateLimit` are checked at
 * compile time: typos, tier names, hook types.
 */
import fastify, { type FastifyRequest } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import { aurumRateLimit, aurumRateLimitOptions, type FastifyRateLimitOptions, type RouteRateLimitConfig } from '../src/index.js';

const app = fastify();
const gold = { requestsPerSecond: 1, burstSize: 3, maxConcurrentRequests: 7 };
const handler = async () => 'ok';

describe('plugin options', () => {
  it('accept the default tiers without declaring anything', () => {
    app.register(aurumRateLimit, { tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] });
    app.register(aurumRateLimit);
  });

  it('refuse a misspelt option, an undeclared tier and a string cost', () => {
    // @ts-expect-error tierRule: the option is tierRules
    app.register(aurumRateLimit, { tierRule: [{ pattern: 'x', tier: 'free' }] });
    // @ts-expect-error no tier 'gold' without a declaration
    app.register(aurumRateLimit, { tierRules: [{ pattern: 'x', tier: 'gold' }] });
    // @ts-expect-error cost is a function of the request
    app.register(aurumRateLimit, { cost: '5' });
  });

  it('take the tiers declared through aurumRateLimitOptions, and refuse a misspelt one', () => {
    app.register(aurumRateLimit, aurumRateLimitOptions({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gold' }] }));
    // @ts-expect-error 'gld' is not a declared tier
    aurumRateLimitOptions({ tiers: { gold }, tierRules: [{ pattern: 'g-*', tier: 'gld' }] });
    // @ts-expect-error a tier of your own needs a full quota
    aurumRateLimitOptions({ tiers: { gold: { burstSize: 3 } } });
    expectTypeOf(aurumRateLimitOptions({ tiers: { gold } })).toEqualTypeOf<FastifyRateLimitOptions>();
  });

  it('give the hooks Fastify’s request', () => {
    app.register(aurumRateLimit, {
      resolveTenant: (req) => {
        expectTypeOf(req).toEqualTypeOf<FastifyRequest>();
        return req.headers['x-tenant'] as string | undefined;
      },
      cost: (req) => (req.method === 'POST' ? 5 : undefined),
    });
    expectTypeOf<Parameters<NonNullable<FastifyRateLimitOptions['skip']>>[0]>().toEqualTypeOf<FastifyRequest>();
  });
});

describe('route config.rateLimit', () => {
  it('takes cost, bucket, skip or false', () => {
    app.get('/a', { config: { rateLimit: { cost: 5, bucket: 'exports' } } }, handler);
    app.get('/b', { config: { rateLimit: false } }, handler);
    app.route({ method: 'POST', url: '/c', config: { rateLimit: { skip: true } }, handler });
    expectTypeOf<RouteRateLimitConfig>().toEqualTypeOf<{ cost?: number; bucket?: string; skip?: boolean }>();
  });

  it('refuses a value of the wrong type', () => {
    // @ts-expect-error cost is a number
    app.get('/e', { config: { rateLimit: { cost: '5' } } }, handler);
    // @ts-expect-error bucket is a string
    app.route({ method: 'GET', url: '/g', config: { rateLimit: { bucket: 5 } }, handler });
  });

  // Fastify infers a route's `ContextConfig` type parameter from the `config` object itself, so an
  // unknown key written inline joins that inferred type and compiles (the plugin rejects it at
  // start-up). Where the parameter is not inferred, or with `satisfies`, a typo fails to compile.
  it('refuses a typo with `satisfies RouteRateLimitConfig` or explicit route generics', () => {
    // @ts-expect-error cots: the limit is cost
    app.get('/d', { config: { rateLimit: { cots: 5 } satisfies RouteRateLimitConfig } }, handler);
    // @ts-expect-error cots: the limit is cost
    app.get<{ Querystring: { q: string } }>('/q', { config: { rateLimit: { cots: 5 } } }, handler);
  });
});
