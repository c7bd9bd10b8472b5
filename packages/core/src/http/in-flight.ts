import type { LoadControl } from '../load/load-control.js';
import { RESOLVED } from '../util/resolved.js';

/**
 * A request's release when load control counts requests in flight: ends its in-flight count
 * (once), then returns its concurrency slot if it has one. One closure per request, the
 * only allocation the bookkeeping needs.
 */
export function inFlightRelease(load: LoadControl, startedAt: number, release: (() => Promise<void>) | undefined): () => Promise<void> {
  let done = false;
  return () => {
    if (done) return RESOLVED;
    done = true;
    load.end(startedAt, true);
    return release ? release() : RESOLVED;
  };
}
