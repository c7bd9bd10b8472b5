import type { HttpResponse } from '../http/problem.js';

/**
 * The part of Node's `ServerResponse` the kit writes to, typed structurally so core needs no
 * `node:http`: Express's `res` and Node's own response fit as they are.
 */
export interface NodeResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/** Sets each header on `res`, leaving status and body alone (the handler writes those). */
export function setHeaders(res: Pick<NodeResponseLike, 'setHeader'>, headers: Readonly<Record<string, string>>): void {
  for (const name in headers) res.setHeader(name, headers[name] as string);
}

/** Writes a complete core response (a refusal, an admin answer): status, headers, body, end. */
export function writeResponse(res: NodeResponseLike, response: HttpResponse): void {
  res.statusCode = response.status;
  setHeaders(res, response.headers);
  res.end(response.body);
}

/**
 * A refusal's headers without its `Content-Type`, for a refusal hook writing its own body: the
 * `Retry-After` and rate-limit headers are sent whatever the hook writes.
 */
export function refusalHeaders(response: HttpResponse): Record<string, string> {
  const { 'Content-Type': _type, ...headers } = response.headers;
  return headers;
}
