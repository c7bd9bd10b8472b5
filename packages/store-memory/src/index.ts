/**
 * The in-memory store. Its implementation lives in `@aurum/ratelimit-core` because the core's
 * Redis fallback is this very store and the core has no dependencies; this package is the
 * documented home users import it from, and where its conformance tests run.
 */
export { MemoryStore, type MemoryStoreOptions, type RateLimitStore } from '@aurum/ratelimit-core/store';
import { MemoryStore, type MemoryStoreOptions } from '@aurum/ratelimit-core/store';

/** Creates a {@link MemoryStore}. */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}
