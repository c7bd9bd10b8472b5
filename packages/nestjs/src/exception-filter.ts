import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { RateLimitException } from './exception.js';

/**
 * Writes a {@link RateLimitException} exactly as the core built it: status, headers and the body
 * string, on Express and Fastify, Nest 11 and 12 alike (Nest 11's Express adapter would turn an
 * `application/problem+json` error body into `application/json`). `RateLimitModule` registers it
 * globally; a global filter of yours that also catches the exception takes precedence (Nest tries
 * the last registered first) and finds the headers already set on the response.
 */
@Catch(RateLimitException)
export class RateLimitExceptionFilter implements ExceptionFilter<RateLimitException> {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: RateLimitException, host: ArgumentsHost): void {
    const adapter = this.adapterHost.httpAdapter;
    const response = host.switchToHttp().getResponse<unknown>();
    if (adapter.isHeadersSent(response)) {
      adapter.end(response);
      return;
    }
    for (const name in exception.headers) adapter.setHeader(response, name, exception.headers[name] as string);
    // A string body: no adapter second-guesses the Content-Type of a string.
    adapter.reply(response, exception.body, exception.getStatus());
  }
}
