// What leasing.mjs (the parent) and leasing-worker.mjs (each instance) agree on.

/** A record per decision, 16 bytes: f64 start (CLOCK_MONOTONIC ms), f32 latency (µs), u32 flags. */
export const RECORD_BYTES = 16;
/** flags: bit 0 allowed, bits 1–3 the decision's source (index here), bit 4 an error. */
export const SOURCES = ['primary', 'fallback', 'blocked-cache', 'fail-open', 'lease'];
export const FLAG_ALLOWED = 1;
export const FLAG_ERROR = 16;
/**
 * State file, f64 each: tokens taken (granted by takeUpTo) and refunded (acknowledged) on the hot
 * tenant's key, their call counts, records flushed, lease-spent decisions among them, the time of
 * the flush, and when the last take was sent and answered (CLOCK_MONOTONIC ms).
 */
export const STATE_FIELDS = ['taken', 'refunded', 'takes', 'refunds', 'records', 'leaseSpent', 'flushedAt', 'lastTakeSentAt', 'lastTakeAt'];

const OFFSET = Number(process.hrtime.bigint()) / 1e6 - performance.now();
/** CLOCK_MONOTONIC in ms (one clock for every process on the host), at performance.now() resolution. */
export const monotonicNow = () => performance.now() + OFFSET;
