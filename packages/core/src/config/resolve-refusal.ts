import type { RefusalOptions, RateLimitHttpOptions } from '../http/http-options.js';
import { checkBoolean, checkFunction, checkKnownKeys, type Issues, isPlainObject } from './checks.js';

/** `refusal` after validation: every hook a function, the status a real 4xx/5xx. */
export interface ResolvedRefusal {
  readonly status: number;
  readonly message: RefusalOptions['message'];
  readonly body: RefusalOptions['body'];
}

/** Which finished requests give their cost back (`skipFailedRequests`, `skipSuccessfulRequests`). */
export interface ResolvedCounting {
  readonly skipFailed: boolean;
  readonly skipSuccessful: boolean;
  readonly wasSuccessful: ((status: number) => boolean) | undefined;
}

const DEFAULT_REFUSAL: ResolvedRefusal = Object.freeze({ status: 429, message: undefined, body: undefined });

/** Validates `refusal` into `issues`; the resolved value (defaults when absent or invalid). */
export function resolveRefusal(issues: Issues, refusal: unknown): ResolvedRefusal {
  if (refusal === undefined) return DEFAULT_REFUSAL;
  if (!issues.check(isPlainObject(refusal), 'refusal', 'must be an object { status, message, body }')) return DEFAULT_REFUSAL;
  const r = refusal as RefusalOptions;
  checkKnownKeys(issues, 'refusal', r as Record<string, unknown>, ['status', 'message', 'body']);
  // A 1xx/2xx/3xx "refusal" would tell clients (and caches) the request worked or moved.
  if (r.status !== undefined)
    issues.check(
      Number.isInteger(r.status) && r.status >= 400 && r.status <= 599,
      'refusal.status',
      `must be an HTTP error status (400–599), got ${String(r.status)}`,
    );
  if (r.message !== undefined)
    issues.check(
      typeof r.message === 'string' || typeof r.message === 'function',
      'refusal.message',
      `must be a string or a function, got ${typeof r.message}`,
    );
  checkFunction(issues, 'refusal.body', r.body);
  return { status: r.status ?? 429, message: r.message, body: r.body };
}

/** Validates the counting options into `issues`; `undefined` when every request counts (the default). */
export function resolveCounting(
  issues: Issues,
  o: Pick<RateLimitHttpOptions, 'skipFailedRequests' | 'skipSuccessfulRequests' | 'requestWasSuccessful'>,
): ResolvedCounting | undefined {
  checkBoolean(issues, 'skipFailedRequests', o.skipFailedRequests);
  checkBoolean(issues, 'skipSuccessfulRequests', o.skipSuccessfulRequests);
  checkFunction(issues, 'requestWasSuccessful', o.requestWasSuccessful);
  issues.check(
    !(o.skipFailedRequests === true && o.skipSuccessfulRequests === true),
    'skipSuccessfulRequests',
    'cannot be combined with skipFailedRequests: no request would count',
  );
  if (o.skipFailedRequests !== true && o.skipSuccessfulRequests !== true) return undefined;
  return { skipFailed: o.skipFailedRequests === true, skipSuccessful: o.skipSuccessfulRequests === true, wasSuccessful: o.requestWasSuccessful };
}
