import type { HttpResponse } from '@aurum/ratelimit-core/adapter';
import type { Context } from 'koa';

/** Writes a complete core response without calling the rest of the chain. */
export function send(ctx: Context, response: HttpResponse): void {
  ctx.status = response.status;
  ctx.set(response.headers);
  // Koa keeps the Content-Type set above when the body is a string.
  ctx.body = response.body;
}
