import type { HttpResponse, Logger } from '@aurum/ratelimit-core';
import type { Context } from 'koa';

/** Writes a complete core response without calling the rest of the chain. */
export function send(ctx: Context, response: HttpResponse): void {
  ctx.status = response.status;
  ctx.set(response.headers);
  // Koa keeps the Content-Type set above when the body is a string.
  ctx.body = response.body;
}

/** Releases a concurrency slot once, when the response finishes or the client goes away. */
export function releaseWhenDone(ctx: Context, release: () => Promise<void>, logger: Logger): void {
  // release() is idempotent. 'close' follows 'finish' on every response and also fires when the
  // client aborts, so one listener covers both.
  const free = () => void release().catch((err: unknown) => logger.warn({ err }, 'releasing a concurrency slot failed; the lease will expire'));
  if (ctx.res.destroyed || ctx.res.writableFinished) free();
  else ctx.res.once('close', free);
}
