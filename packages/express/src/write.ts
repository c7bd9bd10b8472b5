import type { HttpResponse } from '@aurum/ratelimit-core';
import type { Response } from 'express';

/** Sets headers without touching the body (Express 4 and 5 both expose Node's setHeader). */
export function setHeaders(res: Response, headers: Record<string, string>): void {
  for (const name in headers) res.setHeader(name, headers[name] as string);
}

/** Writes a complete core response. */
export function send(res: Response, response: HttpResponse): void {
  res.statusCode = response.status;
  setHeaders(res, response.headers);
  res.end(response.body);
}
