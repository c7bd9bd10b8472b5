import type { ResolvedHttpConfig } from '../config/resolve-http.js';
import type { LogThrottle } from '../observe/log-throttle.js';
import { problemDocument, requestInstance } from './problem.js';
import type { LimitKind, RateLimitInfo, RefusalInfo } from './rate-limit-info.js';
import type { HttpOutcome, HttpRequestInfo } from './request-info.js';

/**
 * A rate or concurrency refusal, shaped by the `refusal` option: its status, its message, its
 * body. The headers (`Retry-After`, the decision's) are the caller's and always sent. A hook that
 * throws, or a body that cannot be serialised, is logged and the default body sent: a broken
 * hook must neither let the request through nor turn the refusal into a 500.
 */
export function limitRefusal<Req>(
  config: ResolvedHttpConfig<Req>,
  logs: LogThrottle,
  req: HttpRequestInfo<Req>,
  kind: LimitKind,
  detail: string,
  headers: Record<string, string>,
  retryAfter: number,
  policies: string[],
  info: RateLimitInfo,
): HttpOutcome {
  const { refusal: shape } = config;
  let refusal: RefusalInfo = { ...info, allowed: false, kind, status: shape.status, message: detail };
  if (shape.message !== undefined) {
    const message =
      typeof shape.message === 'string' ? shape.message : guarded(logs, req, 'message', () => (shape.message as (i: RefusalInfo) => string)(refusal));
    if (typeof message === 'string') refusal = { ...refusal, message };
    else if (message !== FAILED)
      logs.log('error', 'refusal.message', { url: req.url }, 'the refusal.message option returned no string; using the default message');
  }
  const problem = problemDocument(
    { kind, format: config.problemFormat, detail: refusal.message, instance: requestInstance(req.headers[config.requestIdHeader]), retryAfter, policies },
    refusal.status,
  );
  let contentType = problem.contentType;
  let body = JSON.stringify(problem.document);
  if (shape.body !== undefined) {
    const build = shape.body;
    const custom = guarded(logs, req, 'body', () => {
      const value = build(problem.document, refusal);
      // JSON.stringify may throw (a cycle, a BigInt) or give undefined (a function): both fall back.
      return typeof value === 'string'
        ? ([value, 'text/plain; charset=utf-8'] as const)
        : value === undefined
          ? undefined
          : // The problem itself, extended, is still a problem document.
            ([JSON.stringify(value), value === problem.document ? problem.contentType : JSON_TYPE] as const);
    });
    if (custom !== FAILED && custom !== undefined && custom[0] !== undefined) [body, contentType] = custom;
  }
  return {
    action: 'respond',
    status: refusal.status,
    headers: { ...headers, 'Content-Type': contentType, 'Retry-After': String(retryAfter) },
    body,
    refusal,
  };
}

const JSON_TYPE = 'application/json; charset=utf-8';
const FAILED: unique symbol = Symbol('failed');

function guarded<T, Req>(logs: LogThrottle, req: HttpRequestInfo<Req>, hook: 'message' | 'body', run: () => T): T | typeof FAILED {
  try {
    return run();
  } catch (err) {
    logs.log('error', `refusal.${hook}`, { err, url: req.url }, `the refusal.${hook} option threw; sending the default refusal`);
    return FAILED;
  }
}
