import type { Logger } from '@aurum/ratelimit-core';
import { releaseWhenDone, type ResponseLifecycle } from '@aurum/ratelimit-core/adapter';
import type { NestRequest, NestResponse } from './tokens.js';

/** Concurrency slots held per request (the platform's request object), released at most once. */
const held = new WeakMap<object, () => void>();
/** Requests a guard has already decided, so a global guard plus `@UseGuards` counts once. */
const decided = new WeakSet<object>();

/** Marks `request` as decided; false when it already was. */
export function claimDecision(request: NestRequest): boolean {
  if (decided.has(request)) return false;
  decided.add(request);
  return true;
}

/**
 * Holds a slot until {@link releaseSlot} runs (handler done, see RateLimitInterceptor) or Node's
 * response closes (finished, or the client went away), whichever comes first.
 */
export function holdSlot(request: NestRequest, response: NestResponse, release: () => Promise<void>, logger: Logger): void {
  // Express's response is Node's; Fastify's reply wraps it as `raw`.
  const raw = (response.raw ?? response) as ResponseLifecycle;
  held.set(request, releaseWhenDone(raw, release, logger));
}

/** Releases the slot `request` holds, if any. Idempotent. */
export function releaseSlot(request: NestRequest): void {
  held.get(request)?.();
}

/** Whether `request` holds a slot (for the interceptor's fast path). */
export function holdsSlot(request: NestRequest): boolean {
  return held.has(request);
}
