import { type DynamicModule, Inject, Module, type NestModule, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { adminMiddleware } from './admin.js';
import { RateLimitGuard } from './guard.js';
import { asyncOptionsProviders, limiterProviders } from './providers.js';
import { RateLimiter, type RateLimitModuleAsyncOptions, RateLimitModuleOptions } from './tokens.js';

/**
 * Tenant-aware rate limiting for Nest (Express and Fastify platforms). A global module: the
 * {@link RateLimiter}, {@link RateLimitGuard} and options are injectable everywhere.
 *
 * @example
 * \@Module({ imports: [RateLimitModule.forRoot({ global: true, tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] })] })
 * export class AppModule {}
 */
@Module({})
export class RateLimitModule implements NestModule, OnApplicationShutdown {
  constructor(
    @Inject(RateLimiter) private readonly limiter: RateLimiter,
    @Inject(RateLimitModuleOptions) private readonly options: RateLimitModuleOptions,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  /**
   * @throws RateLimitConfigError at bootstrap when an option is invalid (every problem listed)
   */
  static forRoot<T extends string = never>(options: RateLimitModuleOptions<T> = {}): DynamicModule {
    return RateLimitModule.build([{ provide: RateLimitModuleOptions, useValue: options }]);
  }

  /**
   * Options from a factory (`useFactory` + `inject`), a class (`useClass`) or an existing
   * provider (`useExisting`) implementing {@link RateLimitOptionsFactory}.
   * @throws RateLimitConfigError unless exactly one of them is given; at bootstrap, for invalid options
   */
  static forRootAsync<T extends string = never>(options: RateLimitModuleAsyncOptions<T>): DynamicModule {
    return RateLimitModule.build(asyncOptionsProviders(options), options.imports);
  }

  private static build(optionProviders: DynamicModule['providers'] & object, imports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: RateLimitModule,
      global: true,
      imports,
      providers: [...optionProviders, ...limiterProviders()],
      exports: [RateLimiter, RateLimitModuleOptions, RateLimitGuard],
    };
  }

  /** Mounts the admin API on the platform (before Nest's routes) when `adminRoutes` is set. */
  configure(): void {
    if (this.options.adminRoutes) this.adapterHost.httpAdapter?.use(adminMiddleware(this.limiter));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.limiter.close();
  }
}
