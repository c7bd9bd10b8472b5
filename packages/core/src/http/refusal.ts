import type { ResolvedHttpConfig } from '../config/resolve-http.js';
import { type ProblemKind, problemResponse, requestInstance } from './problem.js';
import type { HttpOutcome, HttpRequestInfo } from './request-info.js';

/**
 * A refusal outcome: the problem body in the configured format, naming the request's id, with
 * `headers` (the decision's) under the problem's own (`Content-Type`, `Retry-After`).
 */
export function refusal<Req>(
  config: ResolvedHttpConfig<Req>,
  req: HttpRequestInfo<Req>,
  kind: ProblemKind,
  detail: string,
  headers: Record<string, string>,
  retryAfter?: number,
  policies?: string[],
  status?: number,
): HttpOutcome {
  const problem = problemResponse(
    {
      kind,
      format: config.problemFormat,
      detail,
      instance: requestInstance(req.headers[config.requestIdHeader]),
      ...(retryAfter !== undefined && { retryAfter }),
      ...(policies && { policies }),
    },
    status,
  );
  return { action: 'respond', status: problem.status, headers: { ...headers, ...problem.headers }, body: problem.body };
}
