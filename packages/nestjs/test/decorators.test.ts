import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { RateLimit, RateLimitConfigError, RateLimitGuard, RateLimitModule, SkipRateLimit } from '../src/index.js';
import { base, decisions, get, PLATFORMS, serve } from './helpers.js';

@Injectable()
class Greeter {
  greet(): string {
    return 'hello';
  }
}

@Controller('reports')
@RateLimit({ cost: 2, bucket: 'reports' })
class ReportsController {
  // Explicit @Inject: nothing relies on emitDecoratorMetadata.
  constructor(@Inject(Greeter) private readonly greeter: Greeter) {}

  @Get('daily')
  daily(): string {
    return this.greeter.greet();
  }

  @Get('big')
  @RateLimit({ cost: 5 })
  big(): string {
    return 'big';
  }
}

@Controller('public')
@SkipRateLimit()
class PublicController {
  @Get('open')
  open(): string {
    return 'open';
  }

  @Get('metered')
  @SkipRateLimit(false)
  metered(): string {
    return 'metered';
  }
}

@Controller('items')
class ItemsController {
  @Get(':id')
  item(): string {
    return 'item';
  }

  @Get(':id/free')
  @SkipRateLimit()
  free(): string {
    return 'free';
  }
}

describe.each(PLATFORMS)('decorators on %s', (platform) => {
  it('@RateLimit sets cost and bucket on a class; a handler @RateLimit replaces it; @SkipRateLimit skips, handler beats class', async () => {
    const { events, observer } = decisions();
    @Module({
      imports: [RateLimitModule.forRoot({ ...base, global: true, observer })],
      controllers: [ReportsController, PublicController, ItemsController],
      providers: [Greeter],
    })
    class AppModule {}
    const { url } = await serve(platform, AppModule);

    const daily = await get(url, '/reports/daily');
    expect(daily.text).toBe('hello');
    expect(daily.headers['x-ratelimit-remaining']).toBe('8');
    expect(daily.headers['ratelimit-policy']).toBe('"free-reports";q=10;w=2');
    const big = await get(url, '/reports/big');
    expect(big.headers['x-ratelimit-remaining']).toBe('5');
    expect(events.map(({ cost, bucket, route }) => ({ cost, bucket, route }))).toEqual([
      { cost: 2, bucket: 'reports', route: '/reports/daily' },
      { cost: 5, bucket: 'default', route: '/reports/big' },
    ]);

    events.length = 0;
    const open = await get(url, '/public/open');
    expect(open.status).toBe(200);
    expect(open.headers['x-ratelimit-limit']).toBeUndefined();
    expect((await get(url, '/public/metered')).headers['x-ratelimit-limit']).toBe('10');
    expect((await get(url, '/items/42/free')).headers['x-ratelimit-limit']).toBeUndefined();
    expect((await get(url, '/items/42')).headers['x-ratelimit-limit']).toBe('10');
    expect(events.map((e) => e.route)).toEqual(['/public/metered', '/items/:id']);
  });
});

describe('decorator arguments', () => {
  it('fail at definition time with RateLimitConfigError', () => {
    expect(() => RateLimit({ cost: 0 })).toThrow(RateLimitConfigError);
    expect(() => RateLimit({ cost: 1.5 })).toThrow(/cost/);
    expect(() => RateLimit({ bucket: 'no spaces' })).toThrow(/bucket/);
    expect(() => RateLimit({ cost: 3, bucket: 'exports.v2' })).not.toThrow();
  });

  it('compile without emitDecoratorMetadata (explicit @Inject everywhere)', () => {
    expect(Reflect.getMetadata('design:paramtypes', RateLimitGuard)).toBeUndefined();
    expect(Reflect.getMetadata('design:paramtypes', ReportsController)).toBeUndefined();
  });
});
