/**
 * `@aurum/ratelimit-core/store`: for store authors — the store interface, the GCRA math every
 * store must reproduce exactly, request validation, fleet-wide state, the resilient wrapper and
 * the clock, timer and logger helpers a store takes. See docs/writing-a-store.md.
 */
export {
  assertValidRequest,
  type BucketPolicy,
  type BucketSnapshot,
  type ConsumeResult,
  type DenyReason,
  emissionIntervalUs,
  gcraConsume,
  gcraRefund,
  gcraSnapshot,
  gcraTakeUpTo,
  MAX_RATE,
  MAX_WINDOW_MS,
  MIN_RATE,
  type TakeResult,
} from './algorithms/gcra.js';
export type { CircuitBreakerOptions } from './breaker/breaker-options.js';
export { type BreakerPermit, CircuitBreaker } from './breaker/circuit-breaker.js';
export { type Clock, MAX_TIMER_MS, systemClock, systemTimers, type Timers, unref } from './clock.js';
export { type Logger, silentLogger } from './observe/logger.js';
export type { SourcedConsumeResult } from './store/blocked-cache.js';
export type { FailMode } from './store/degraded-path.js';
export type { FleetEvent, FleetLoadSnapshot, FleetSync, SeenTenant } from './store/fleet.js';
export { MemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export type { ResilientStoreOptions, StoreFailure } from './store/resilient-options.js';
export { ResilientStore } from './store/resilient-store.js';
export type { AdmitRequest, AdmitResult, DecisionSource, LeaseResult, RateLimitStore } from './store/types.js';
export { assertValidAdmitRequest, assertValidLease } from './store/validate.js';
