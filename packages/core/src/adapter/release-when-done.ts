import type { Logger } from '../observe/logger.js';
import { RESOLVED } from '../util/resolved.js';

/**
 * What the kit watches to know a request is over: Node's `ServerResponse` (Express `res`, Koa
 * `ctx.res`, Fastify `reply.raw`), typed structurally.
 */
export interface ResponseLifecycle {
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
  once(event: 'close', listener: () => void): unknown;
  /** Used instead of `once` when present (Node's responses): 'close' comes once, and `once` allocates a wrapper per call. */
  on?(event: 'close', listener: () => void): unknown;
}

/**
 * Releases a concurrency slot once, when `res` closes: 'close' follows 'finish' on every
 * response and also fires when the client goes away, so one listener covers both. A response
 * that is already over (the client left while the limiter decided) releases at once.
 *
 * A failed release is logged, not thrown: the lease then frees itself after `concurrencyLeaseMs`.
 * The returned function is the listener itself: one closure per request, nothing else.
 *
 * @returns a function releasing the slot now (when the framework knows the request is done
 *   before the response closes); calling it again, or the 'close' after it, does nothing
 */
export function releaseWhenDone(res: ResponseLifecycle, release: () => Promise<void>, logger: Logger): () => void {
  let done = false;
  const free = (): void => {
    if (done) return;
    done = true;
    const released = release();
    // The core's shared settled promise (a synchronous release) cannot reject: no handler needed.
    if (released !== RESOLVED) released.catch((err: unknown) => logger.warn({ err }, 'releasing a concurrency slot failed; the lease will expire'));
  };
  if (res.destroyed || res.writableFinished) free();
  else if (res.on !== undefined) res.on('close', free);
  else res.once('close', free);
  return free;
}
