import { assertValidRequest } from '../algorithms/gcra.js';
import { MAX_TIMER_MS } from '../clock.js';
import { InvalidArgumentError } from '../errors.js';
import type { AdmitRequest } from './types.js';

/**
 * Throws {@link InvalidArgumentError} unless a lease request is in every store's domain: a whole
 * limit ≥ 1 and a lifetime in whole milliseconds a timer and a Redis score both honour.
 */
export function assertValidLease(limit: number, leaseMs: number): void {
  if (!(Number.isSafeInteger(limit) && limit >= 1)) throw new InvalidArgumentError(`limit must be a whole number >= 1, got ${String(limit)}`);
  if (!(Number.isSafeInteger(leaseMs) && leaseMs >= 1 && leaseMs <= MAX_TIMER_MS))
    throw new InvalidArgumentError(`leaseMs must be a whole number in [1, ${MAX_TIMER_MS}], got ${String(leaseMs)}`);
}

/** The one check of an {@link AdmitRequest}: the decision's policy and cost, then the lease. */
export function assertValidAdmitRequest(request: AdmitRequest): void {
  assertValidRequest(request.policy, request.cost);
  assertValidLease(request.limit, request.leaseMs);
  if (typeof request.key !== 'string' || typeof request.leaseKey !== 'string') throw new InvalidArgumentError('key and leaseKey must be strings');
}
