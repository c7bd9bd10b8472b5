import { countWhenDone, type HttpOutcome, type HttpResponse, type NodeResponseLike, refusalHeaders, setHeaders } from '@aurum/ratelimit-core/adapter';
import { type CanActivate, type ExecutionContext, HttpException, Inject, Injectable, Optional } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { RefusalInfo } from '@aurum/ratelimit-core';
import { RATE_LIMIT_METADATA, type RouteLimits, SKIP_RATE_LIMIT_METADATA } from './decorators.js';
import { RateLimitException } from './exception.js';
import { toRequestInfo } from './request-info.js';
import { claimDecision, holdSlot } from './slots.js';
import { type NestRequest, type NestResponse, RateLimiter, RateLimitModuleOptions } from './tokens.js';

/**
 * Limits HTTP requests: globally (`RateLimitModule.forRoot({ global: true })`) or per controller
 * or handler with `@UseGuards(RateLimitGuard)`. Reads `@RateLimit()` and `@SkipRateLimit()`
 * (handler beats class), lets non-HTTP contexts through, sets the rate-limit headers on the
 * response and throws {@link RateLimitException} for refusals. A request is decided once even
 * when several instances of the guard apply. Subclass it and override the protected hooks.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    @Inject(RateLimiter) protected readonly limiter: RateLimiter,
    @Inject(Reflector) protected readonly reflector: Reflector,
    @Inject(HttpAdapterHost) protected readonly adapterHost: HttpAdapterHost,
    /** For `exceptionFactory`; optional so that subclasses and tests may leave it out. */
    @Optional() @Inject(RateLimitModuleOptions) protected readonly options?: RateLimitModuleOptions,
  ) {}

  /**
   * Decides an HTTP request: `true` to let it through, a {@link RateLimitException} thrown for a
   * refusal. A boolean when nothing had to wait (the memory store, synchronous hooks), else a
   * promise of it.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const { req, res } = this.getRequestResponse(context);
    const skip = this.shouldSkip(context);
    if (skip === true) return true;
    if (skip !== false) return Promise.resolve(skip).then((skipped) => (skipped ? true : this.limit(context, req, res)));
    return this.limit(context, req, res);
  }

  /** True to let the request through unlimited. Default: `@SkipRateLimit()` on the handler, else on the class. */
  protected shouldSkip(context: ExecutionContext): boolean | Promise<boolean> {
    return this.reflector.getAllAndOverride<boolean | undefined>(SKIP_RATE_LIMIT_METADATA, [context.getHandler(), context.getClass()]) === true;
  }

  /** The platform's request and response (Express `req`/`res`, Fastify request/reply). */
  protected getRequestResponse(context: ExecutionContext): { req: NestRequest; res: NestResponse } {
    const http = context.switchToHttp();
    return { req: http.getRequest<NestRequest>(), res: http.getResponse<NestResponse>() };
  }

  /** Throws the refusal. Override to throw another exception; the headers are already set on the response. */
  protected throwRateLimitException(_context: ExecutionContext, response: HttpResponse): never {
    throw new RateLimitException(response);
  }

  private limit(context: ExecutionContext, req: NestRequest, res: NestResponse): boolean | Promise<boolean> {
    if (!claimDecision(req)) return true;
    const limits = this.reflector.getAllAndOverride<RouteLimits | undefined>(RATE_LIMIT_METADATA, [context.getHandler(), context.getClass()]);
    const outcome = this.limiter.decide(toRequestInfo(context, req, limits));
    if (outcome instanceof Promise) return outcome.then((o) => this.settle(context, req, res, o));
    return this.settle(context, req, res, outcome);
  }

  private settle(context: ExecutionContext, req: NestRequest, res: NestResponse, outcome: HttpOutcome): boolean {
    if (outcome.action === 'respond') {
      const factory = this.options?.exceptionFactory;
      if (outcome.refusal !== undefined && factory !== undefined) {
        req.rateLimit = outcome.refusal;
        this.setHeaders(res, refusalHeaders(outcome));
        throw this.customException(factory, outcome);
      }
      this.setHeaders(res, outcome.headers);
      return this.throwRateLimitException(context, outcome);
    }
    this.setHeaders(res, outcome.headers);
    if (outcome.info) req.rateLimit = outcome.info;
    const logger = this.limiter.manager.config.logger;
    if (outcome.release) holdSlot(req, res, outcome.release, logger);
    // Express's response is Node's; Fastify's reply wraps it as `raw`.
    if (outcome.onResponse) countWhenDone(res.raw ?? res, outcome.onResponse);
    return true;
  }

  /** The factory's exception; a factory that throws or returns no HttpException is logged and the default refusal used. */
  private customException(factory: NonNullable<RateLimitModuleOptions['exceptionFactory']>, outcome: HttpResponse & { refusal?: RefusalInfo }): HttpException {
    const logger = this.limiter.manager.config.logger;
    try {
      const exception: unknown = factory(outcome.refusal as RefusalInfo);
      if (exception instanceof HttpException) return exception;
      logger.error({ returned: typeof exception }, 'the exceptionFactory option returned no HttpException; sending the default refusal');
    } catch (err) {
      logger.error({ err }, 'the exceptionFactory option threw; sending the default refusal');
    }
    return new RateLimitException({ ...outcome, headers: outcome.headers });
  }

  /** The headers in the fewest calls the platform allows: one on Fastify's reply, Node's setHeader on Express's response. */
  private setHeaders(res: NestResponse, headers: Record<string, string>): void {
    const adapter = this.adapterHost.httpAdapter;
    const platform = adapter.getType();
    if (platform === 'fastify') res.headers(headers);
    // Express's res.set() adds a charset check per header to Node's setHeader(); none of these needs it.
    else if (platform === 'express') setHeaders(res as NodeResponseLike, headers);
    else for (const name in headers) adapter.setHeader(res, name, headers[name] as string);
  }
}
