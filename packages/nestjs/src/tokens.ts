import type { RateLimitOptions, RefusalInfo } from '@aurum/ratelimit-core';
import type { HttpRateLimiter } from '@aurum/ratelimit-core/adapter';
import type { HttpException, ModuleMetadata, Type } from '@nestjs/common';

/**
 * The platform's request object as the guard sees it: an Express `Request` or a Fastify
 * `FastifyRequest`. It is what `resolveTenant`, `skip` and `cost` receive.
 */
// biome-ignore lint/suspicious/noExplicitAny: one type for both platforms' requests, as @nestjs/throttler does
export type NestRequest = Record<string, any>;
/** The platform's response object: an Express `Response` or a Fastify `FastifyReply`. */
// biome-ignore lint/suspicious/noExplicitAny: as NestRequest
export type NestResponse = Record<string, any>;

/**
 * Options of {@link RateLimitModule}: the core's options (a ready `manager`, or the options to build
 * one) plus Nest wiring. `T` is the names of your own tiers (declared in `tiers`).
 */
export interface RateLimitModuleOptions<T extends string = never> extends RateLimitOptions<NestRequest, T> {
  /** Register {@link RateLimitGuard} as a global guard (`APP_GUARD`), limiting every route. @default false */
  global?: boolean;
  /**
   * Serve the admin API under `admin.prefix` (default `/admin/ratelimit`, an absolute path: Nest's
   * global prefix does not apply). It refuses every request until `admin.token` or `admin.authorize` is set.
   * @default false
   */
  adminRoutes?: boolean;
  /**
   * The exception thrown for rate and concurrency refusals instead of {@link RateLimitException}
   * (@nestjs/throttler's exception override); Nest's filters write it. The `Retry-After` and
   * rate-limit headers are already set on the response. If it throws or returns something that
   * is not an `HttpException`, that is logged and the default refusal sent.
   */
  exceptionFactory?: (info: RefusalInfo) => HttpException;
}
/** Injection token of the resolved {@link RateLimitModuleOptions}. */
export const RateLimitModuleOptions: unique symbol = Symbol('RateLimitModuleOptions');

/** The core limiter the module built; inject it to reach `limiter.manager` (tenant status, overrides). */
export type RateLimiter = HttpRateLimiter<NestRequest>;
/** Injection token of the module's {@link RateLimiter}. */
export const RateLimiter: unique symbol = Symbol('RateLimiter');

/** A class that builds the options, for `forRootAsync({ useClass })` or `useExisting`. */
export interface RateLimitOptionsFactory {
  createRateLimitOptions(): RateLimitModuleOptions | Promise<RateLimitModuleOptions>;
}

/**
 * Options of `RateLimitModule.forRootAsync`: exactly one of `useFactory`, `useClass`, `useExisting`.
 * `T` is the names of your own tiers that the factory's `tiers` declares.
 */
export interface RateLimitModuleAsyncOptions<T extends string = never> extends Pick<ModuleMetadata, 'imports'> {
  // biome-ignore lint/suspicious/noExplicitAny: the factory's parameters are whatever `inject` lists
  useFactory?: (...args: any[]) => RateLimitModuleOptions<T> | Promise<RateLimitModuleOptions<T>>;
  /** Tokens whose values `useFactory` receives, in order. */
  inject?: Array<Type | string | symbol>;
  useClass?: Type<RateLimitOptionsFactory>;
  useExisting?: Type<RateLimitOptionsFactory>;
}
