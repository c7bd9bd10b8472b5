import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { finalize, type Observable } from 'rxjs';
import { holdsSlot, releaseSlot } from './slots.js';
import type { NestRequest } from './tokens.js';

/**
 * Releases the concurrency slot {@link RateLimitGuard} took as soon as the handler completes or
 * fails (the guard also releases it when the response closes, e.g. the client aborts).
 * `RateLimitModule` registers it globally; it does nothing for requests without a slot.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<NestRequest>();
    if (!holdsSlot(req)) return next.handle();
    return next.handle().pipe(finalize(() => releaseSlot(req)));
  }
}
