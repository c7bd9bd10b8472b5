import type { Logger } from '@aurum/ratelimit-core';
import { releaseWhenDone, type ResponseLifecycle } from '@aurum/ratelimit-core/adapter';
import type { NestRequest, NestResponse } from './tokens.js';

/**
 * Per request (the platform's request object): `true` once a guard decided it, so a global guard
 * plus `@UseGuards` counts it once, then the "release now" of the slot it holds, if any (released
 * at most once). One WeakMap entry per request.
 */
const requests = new WeakMap<object, true | (() => void)>();

/** Marks `request` as decided; false when it already was. */
export function claimDecision(request: NestRequest): boolean {
  if (requests.has(request)) return false;
  requests.set(request, true);
  return true;
}

/**
 * Holds a slot until {@link releaseSlot} runs (handler done, see RateLimitInterceptor) or Node's
 * response closes (finished, or the client went away), whichever comes first.
 */
export function holdSlot(request: NestRequest, response: NestResponse, release: () => Promise<void>, logger: Logger): void {
  // Express's response is Node's; Fastify's reply wraps it as `raw`.
  const raw = (response.raw ?? response) as ResponseLifecycle;
  requests.set(request, releaseWhenDone(raw, release, logger));
}

/** Releases the slot `request` holds, if any. Idempotent. */
export function releaseSlot(request: NestRequest): void {
  const release = requests.get(request);
  if (release !== undefined && release !== true) release();
}

/** Whether `request` holds a slot (for the interceptor's fast path). */
export function holdsSlot(request: NestRequest): boolean {
  return typeof requests.get(request) === 'function';
}
