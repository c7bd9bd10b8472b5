/** Issue 14, NestJS specifics: `exceptionFactory` validation, its failures, and guards used per controller. */
import { RateLimitConfigError } from '@aurum/ratelimit-core';
import { Controller, Get, HttpException, Module, UseGuards } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { RateLimitGuard, RateLimitInfo, RateLimitModule, type RateLimitModuleOptions } from '../src/index.js';
import { startNest } from './app.js';
import { base, get, PLATFORMS, serve } from './helpers.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

@Controller()
class GuardedController {
  @Get('ping')
  @UseGuards(RateLimitGuard)
  ping(@RateLimitInfo() info: RateLimitInfo | undefined): { remaining: number | undefined } {
    return { remaining: info?.remaining };
  }
}

function appWith(options: RateLimitModuleOptions) {
  @Module({ imports: [RateLimitModule.forRoot({ ...base, tiers: { free: { burstSize: 1 } }, logger: quiet, ...options })], controllers: [GuardedController] })
  class AppModule {}
  return AppModule;
}

describe.each(PLATFORMS)('exceptionFactory on %s', (platform) => {
  it('fails bootstrap when it is not a function', async () => {
    const error = await startNest(platform, appWith({ exceptionFactory: 'nope' as never })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect((error as RateLimitConfigError).issues.map((i) => i.key)).toEqual(['exceptionFactory']);
  });

  it('applies to @UseGuards(RateLimitGuard) too, with the decision in @RateLimitInfo()', async () => {
    const { url } = await serve(platform, appWith({ exceptionFactory: (info) => new HttpException({ wait: info.retryAfter }, 420) }));
    const first = await get(url, '/ping', 'per-controller');
    expect(first.json).toEqual({ remaining: 0 });
    const denied = await get(url, '/ping', 'per-controller');
    expect(denied.status).toBe(420);
    expect(denied.json).toEqual({ wait: 1 });
    expect(denied.headers['retry-after']).toBe('1');
  });

  it('sends the default refusal when the factory returns no HttpException', async () => {
    const { url } = await serve(platform, appWith({ exceptionFactory: () => new Error('not an HttpException') as never }));
    await get(url, '/ping', 'bad-factory');
    const denied = await get(url, '/ping', 'bad-factory');
    expect(denied.status).toBe(429);
    expect((denied.json as { error: { type: string } }).error.type).toBe('https://aurum.api/errors/rate_limit_exceeded');
    expect(denied.headers['content-type']).toMatch(/^application\/json/);
  });
});
