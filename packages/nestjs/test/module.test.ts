import { createRateLimitManager, RateLimitConfigError } from '@aurum/ratelimit-core';
import { Controller, Get, Inject, Injectable, Module } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { RateLimiter, RateLimitModule, type RateLimitModuleOptions, type RateLimitOptionsFactory } from '../src/index.js';
import { startNest } from './app.js';
import { base, get, PLATFORMS, serve } from './helpers.js';

const BURST = 'BURST';

@Injectable()
class OptionsFromConfig implements RateLimitOptionsFactory {
  constructor(@Inject(BURST) private readonly burst: number) {}
  createRateLimitOptions(): RateLimitModuleOptions {
    return { ...base, global: true, tiers: { free: { burstSize: this.burst, requestsPerSecond: 0.1 } } };
  }
}

@Module({ providers: [{ provide: BURST, useValue: 3 }, OptionsFromConfig], exports: [BURST, OptionsFromConfig] })
class ConfigModule {}

@Controller()
class QuotaController {
  constructor(@Inject(RateLimiter) private readonly limiter: RateLimiter) {}

  @Get('quota')
  quota(): unknown {
    return this.limiter.manager.getQuotas().tiers.free;
  }
}

const ways = {
  'useFactory + inject': RateLimitModule.forRootAsync({
    imports: [ConfigModule],
    inject: [BURST],
    useFactory: async (burst: number) => ({ ...base, global: true, tiers: { free: { burstSize: burst, requestsPerSecond: 0.1 } } }),
  }),
  useClass: RateLimitModule.forRootAsync({ imports: [ConfigModule], useClass: OptionsFromConfig }),
  useExisting: RateLimitModule.forRootAsync({ imports: [ConfigModule], useExisting: OptionsFromConfig }),
};

describe.each(PLATFORMS)('RateLimitModule on %s', (platform) => {
  it.each(Object.entries(ways))('forRootAsync with %s: options (global included) come from the provider', async (_way, dynamic) => {
    @Module({ imports: [dynamic], controllers: [QuotaController] })
    class AppModule {}
    const { url } = await serve(platform, AppModule);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(url, '/quota')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await get(url, '/quota', 'other')).json).toMatchObject({ burstSize: 3 });
  });

  it('uses a ready manager and leaves it open on shutdown', async () => {
    const manager = createRateLimitManager({ ...base, tiers: { free: { burstSize: 4 } } });
    @Module({ imports: [RateLimitModule.forRoot({ manager, global: true })], controllers: [QuotaController] })
    class AppModule {}
    const { app, url } = await serve(platform, AppModule);
    expect(app.get<RateLimiter>(RateLimiter).manager).toBe(manager);
    expect((await get(url, '/quota')).headers['x-ratelimit-limit']).toBe('4');
    await app.close();
    await expect(manager.checkRateLimit('still-open')).resolves.toMatchObject({ allowed: true });
    await manager.close();
  });

  it('fails bootstrap with RateLimitConfigError naming every bad option', async () => {
    @Module({ imports: [RateLimitModule.forRoot({ ...base, tiers: { free: { burstSize: 0 } }, anonymous: 'nobody' as never })] })
    class Bad {}
    const error = await startNest(platform, Bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect((error as RateLimitConfigError).issues.map((i) => i.key)).toEqual(['tiers.free.burstSize', 'anonymous.mode']);

    @Module({ imports: [RateLimitModule.forRootAsync({ useFactory: () => ({ ...base, tierRules: [{ pattern: 'x', tier: 'gold' as never }] }) })] })
    class BadAsync {}
    await expect(startNest(platform, BadAsync)).rejects.toBeInstanceOf(RateLimitConfigError);

    @Module({ imports: [RateLimitModule.forRoot({ ...base, admin: false, adminRoutes: true })] })
    class NoAdmin {}
    await expect(startNest(platform, NoAdmin)).rejects.toThrow(/adminRoutes/);
  });
});

describe('forRootAsync arguments', () => {
  it('need exactly one of useFactory, useClass, useExisting', () => {
    expect(() => RateLimitModule.forRootAsync({})).toThrow(RateLimitConfigError);
    expect(() => RateLimitModule.forRootAsync({ useClass: OptionsFromConfig, useExisting: OptionsFromConfig })).toThrow(/exactly one/);
  });
});
