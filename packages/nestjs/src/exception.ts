import type { HttpResponse } from '@aurum/ratelimit-core/adapter';
import { HttpException } from '@nestjs/common';

/**
 * What {@link RateLimitGuard} throws when the limiter refuses a request: 429 (rate or
 * concurrency limit), 503 (load shedding, limiter unavailable) or 400 (invalid or missing tenant).
 *
 * {@link RateLimitExceptionFilter} (registered by the module) writes {@link body} and
 * {@link headers} unchanged. For your own filters: `getResponse()` is the same body as an object
 * (the `{"error":{…}}` document or an RFC 9457 one), and the guard has already set the headers
 * (Retry-After, X-RateLimit-*, RateLimit-Policy/RateLimit, Content-Type) on the response.
 */
export class RateLimitException extends HttpException {
  /** Response headers of the refusal, Content-Type included. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body exactly as the core serialised it. */
  readonly body: string;

  constructor(response: HttpResponse) {
    super(JSON.parse(response.body) as Record<string, unknown>, response.status);
    this.headers = response.headers;
    this.body = response.body;
  }
}
