import { RateLimitConfigError } from '@aurum/ratelimit-core';
import { checkRefusalHook, createHttpRateLimiter } from '@aurum/ratelimit-core/adapter';
import { nestLogger } from './logger.js';
import type { CanActivate, Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, HttpAdapterHost, Reflector } from '@nestjs/core';
import { RateLimitExceptionFilter } from './exception-filter.js';
import { RateLimitGuard } from './guard.js';
import { RateLimitInterceptor } from './interceptor.js';
import { type NestRequest, RateLimiter, type RateLimitModuleAsyncOptions, RateLimitModuleOptions, type RateLimitOptionsFactory } from './tokens.js';

const ALLOW_ALL: CanActivate = { canActivate: () => true };

/** The limiter, the guard, the global interceptor and filter, and the global guard when `options.global` is set. */
export function limiterProviders(): Provider[] {
  return [
    {
      provide: RateLimiter,
      inject: [RateLimitModuleOptions],
      useFactory: (options: RateLimitModuleOptions = {}) => {
        const { global: _global, adminRoutes, exceptionFactory, ...core } = options;
        checkRefusalHook('exceptionFactory', exceptionFactory, '(info) => HttpException');
        // Nest apps log through Nest's Logger (its levels, format and transports), unless told otherwise.
        const logger = core.logger === undefined && core.manager === undefined ? { logger: nestLogger() } : {};
        const limiter = createHttpRateLimiter<NestRequest>({ ...core, ...logger });
        if (adminRoutes && !limiter.admin) throw new RateLimitConfigError([{ key: 'adminRoutes', message: 'needs the admin API, but admin is false' }]);
        return limiter;
      },
    },
    RateLimitGuard,
    { provide: APP_INTERCEPTOR, useClass: RateLimitInterceptor },
    { provide: APP_FILTER, useClass: RateLimitExceptionFilter },
    {
      // A factory, so that `global` may come from forRootAsync's options too.
      provide: APP_GUARD,
      inject: [RateLimitModuleOptions, RateLimiter, Reflector, HttpAdapterHost],
      useFactory: (options: RateLimitModuleOptions, limiter: RateLimiter, reflector: Reflector, host: HttpAdapterHost) =>
        options.global ? new RateLimitGuard(limiter, reflector, host, options) : ALLOW_ALL,
    },
  ];
}

/** The options provider(s) of `forRootAsync`. */
export function asyncOptionsProviders<T extends string>(options: RateLimitModuleAsyncOptions<T>): Provider[] {
  const ways = [options.useFactory, options.useClass, options.useExisting].filter((w) => w !== undefined);
  if (ways.length !== 1) {
    throw new RateLimitConfigError([{ key: 'forRootAsync', message: `needs exactly one of useFactory, useClass, useExisting; got ${ways.length}` }]);
  }
  if (options.useFactory) return [{ provide: RateLimitModuleOptions, useFactory: options.useFactory, inject: options.inject ?? [] }];
  const factory = (options.useClass ?? options.useExisting) as NonNullable<RateLimitModuleAsyncOptions['useClass']>;
  const fromFactory: Provider = {
    provide: RateLimitModuleOptions,
    useFactory: (f: RateLimitOptionsFactory) => f.createRateLimitOptions(),
    inject: [factory],
  };
  return options.useClass ? [{ provide: factory, useClass: factory }, fromFactory] : [fromFactory];
}
