import { createHttpRateLimiter, type HttpResponse } from '@aurum/ratelimit-core/adapter';
import { Controller, type ExecutionContext, Get, HttpException, Injectable, Module, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it, vi } from 'vitest';
import { RateLimitGuard, RateLimitModule } from '../src/index.js';
import { base, decisions, get, PLATFORMS, serve } from './helpers.js';

@Controller('guarded')
@UseGuards(RateLimitGuard)
class GuardedController {
  @Get()
  guarded(): string {
    return 'guarded';
  }
}

@Controller('handler')
class HandlerGuardController {
  @Get('limited')
  @UseGuards(RateLimitGuard)
  limited(): string {
    return 'limited';
  }

  @Get('open')
  open(): string {
    return 'open';
  }
}

/** Overrides two hooks: an internal header skips limiting, refusals become 418 with another body. */
@Injectable()
class TeapotGuard extends RateLimitGuard {
  protected override shouldSkip(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest().headers['x-internal'] === 'yes';
  }
  protected override throwRateLimitException(_context: ExecutionContext, response: HttpResponse): never {
    throw new HttpException({ slowDown: true }, response.status === 429 ? 418 : response.status);
  }
}

@Controller('tea')
@UseGuards(TeapotGuard)
class TeaController {
  @Get()
  tea(): string {
    return 'tea';
  }
}

describe.each(PLATFORMS)('RateLimitGuard on %s', (platform) => {
  it('limits only where @UseGuards applies it when not global', async () => {
    @Module({ imports: [RateLimitModule.forRoot({ ...base, tiers: { free: { burstSize: 2 } } })], controllers: [GuardedController, HandlerGuardController] })
    class AppModule {}
    const { url } = await serve(platform, AppModule);
    expect((await get(url, '/guarded')).headers['x-ratelimit-remaining']).toBe('1');
    expect((await get(url, '/handler/limited')).headers['x-ratelimit-remaining']).toBe('0');
    expect((await get(url, '/guarded')).status).toBe(429);
    const open = await get(url, '/handler/open');
    expect(open.status).toBe(200);
    expect(open.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('counts a request once when the global guard and @UseGuards both apply', async () => {
    const { events, observer } = decisions();
    @Module({ imports: [RateLimitModule.forRoot({ ...base, global: true, observer })], controllers: [GuardedController] })
    class AppModule {}
    const { url } = await serve(platform, AppModule);
    expect((await get(url, '/guarded')).headers['x-ratelimit-remaining']).toBe('9');
    expect((await get(url, '/guarded')).headers['x-ratelimit-remaining']).toBe('8');
    expect(events).toHaveLength(2);
  });

  it('leaves requests no route matches alone (404, not counted), as Nest guards do', async () => {
    const { events, observer } = decisions();
    @Module({ imports: [RateLimitModule.forRoot({ ...base, global: true, observer })], controllers: [GuardedController] })
    class AppModule {}
    const { url } = await serve(platform, AppModule);
    const missing = await get(url, '/nowhere');
    expect(missing.status).toBe(404);
    expect(missing.headers['x-ratelimit-limit']).toBeUndefined();
    expect(events).toHaveLength(0);
  });

  it('can be customised by overriding the guard hooks', async () => {
    @Module({ imports: [RateLimitModule.forRoot({ ...base, tiers: { free: { burstSize: 1 } } })], controllers: [TeaController], providers: [TeapotGuard] })
    class AppModule {}
    const { url } = await serve(platform, AppModule);
    await get(url, '/tea');
    const denied = await get(url, '/tea');
    expect(denied.status).toBe(418);
    expect(denied.json).toEqual({ slowDown: true });
    expect(denied.headers['retry-after']).toBe('1');
    expect((await get(url, '/tea', 'acme', { 'x-internal': 'yes' })).status).toBe(200);
  });
});

describe('RateLimitGuard outside HTTP', () => {
  it('lets rpc and ws contexts through without deciding', async () => {
    const limiter = createHttpRateLimiter(base);
    const decide = vi.spyOn(limiter, 'decide');
    const guard = new RateLimitGuard(limiter, new Reflector(), { httpAdapter: undefined } as never);
    for (const type of ['rpc', 'ws', 'graphql']) {
      expect(await guard.canActivate({ getType: () => type } as unknown as ExecutionContext)).toBe(true);
    }
    expect(decide).not.toHaveBeenCalled();
    await limiter.close();
  });
});
