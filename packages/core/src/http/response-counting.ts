import type { ResolvedCounting } from '../config/resolve-refusal.js';
import type { RateLimitDecision } from '../manager/decision.js';
import type { RateLimitManager } from '../manager/manager.js';
import type { Subject } from '../manager/subject.js';
import type { LogThrottle } from '../observe/log-throttle.js';
import type { HttpRequestInfo } from './request-info.js';

/**
 * `skipFailedRequests` / `skipSuccessfulRequests`: the request's `onResponse`, giving its cost
 * back through {@link RateLimitManager.refund} when its outcome is one that does not count. The
 * refund goes to the bucket the decision took from (same path, method and bucket). Runs at most
 * once; `status` is `undefined` when the client went away first, which counts as a failure.
 */
export function responseCounter<Req>(
  counting: ResolvedCounting,
  manager: RateLimitManager<string>,
  logs: LogThrottle,
  subject: Subject,
  req: HttpRequestInfo<Req>,
  decision: RateLimitDecision,
): ((status: number | undefined) => void) | undefined {
  // Nothing was taken: a skipped route, or a shadow-mode request the bucket refused.
  if (decision.metadata.skipped || decision.metadata.exceeded) return undefined;
  let done = false;
  return (status) => {
    if (done) return;
    done = true;
    const succeeded = status !== undefined && wasSuccessful(counting, logs, req, status);
    if (succeeded === undefined || !(succeeded ? counting.skipSuccessful : counting.skipFailed)) return;
    manager
      .refund(subject, decision.metadata.cost, { path: req.url, method: req.method, bucket: req.bucket })
      .catch((err: unknown) => logs.log('warn', 'refund', { err, url: req.url }, 'giving back the cost of an uncounted request failed; it counts'));
  };
}

/** Success by the user's rule (status < 400 by default); `undefined` when the rule threw: then the request counts. */
function wasSuccessful<Req>(counting: ResolvedCounting, logs: LogThrottle, req: HttpRequestInfo<Req>, status: number): boolean | undefined {
  if (counting.wasSuccessful === undefined) return status < 400;
  try {
    return counting.wasSuccessful(status) === true;
  } catch (err) {
    logs.log('error', 'requestWasSuccessful', { err, url: req.url }, 'the requestWasSuccessful option threw; the request counts');
    return undefined;
  }
}
