import type { ResponseLifecycle } from './release-when-done.js';

/** A {@link ResponseLifecycle} whose status can be read once it is over (Node's `ServerResponse`). */
export interface CountedResponse extends ResponseLifecycle {
  readonly statusCode: number;
}

/**
 * Calls an outcome's `onResponse` (`skipFailedRequests` / `skipSuccessfulRequests`) once `res`
 * closes: with the status when the response was sent in full, `undefined` when the client went
 * away first (a failed request). A response already over when the decision came counts at once.
 */
export function countWhenDone(res: CountedResponse, onResponse: (status: number | undefined) => void): void {
  const done = (): void => onResponse(res.writableFinished ? res.statusCode : undefined);
  if (res.destroyed || res.writableFinished) done();
  else if (res.on !== undefined) res.on('close', done);
  else res.once('close', done);
}
