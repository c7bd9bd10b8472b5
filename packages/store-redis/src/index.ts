export type { RedisClient } from './client.js';
export { type FleetOptions, RedisFleetSync } from './fleet-sync.js';
export { createRedisStore, createRedisStoreFromUrl, LIMITER_CLIENT_OPTIONS } from './from-url.js';
export { RedisStore, type RedisStoreOptions, SCRIPTS } from './redis-store.js';
export { LuaScript } from './script.js';
