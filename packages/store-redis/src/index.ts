export type { RedisClient } from './client.js';
export { LIMITER_CLUSTER_OPTIONS } from './cluster-options.js';
export { type FleetOptions, RedisFleetSync } from './fleet-sync.js';
export { createRedisStore, createRedisStoreFromUrl, LIMITER_CLIENT_OPTIONS } from './from-url.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { LuaScript } from './script.js';
export { SCRIPTS } from './scripts.js';
