import { NOW_US } from './clock.js';

/**
 * Takes one concurrency lease. Leases live in a sorted set scored by expiry (ms), so a lease
 * whose process crashed simply ages out; expired members are purged before counting.
 *
 * KEYS[1]  lease set key
 * ARGV[1]  limit (leases allowed at once)
 * ARGV[2]  lease lifetime in ms
 * ARGV[3]  lease id (unique per process and call)
 * ARGV[4]  now in µs, or '' to use Redis TIME
 *
 * Returns { allowed (1|0), active }.
 */
export const ACQUIRE_LUA = `${NOW_US}
local limit = tonumber(ARGV[1])
local lease_ms = tonumber(ARGV[2])
local now_ms = math.floor(now_us(ARGV[4]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
local active = redis.call('ZCARD', KEYS[1])
if active >= limit then return { 0, active } end
redis.call('ZADD', KEYS[1], now_ms + lease_ms, ARGV[3])
if redis.call('PTTL', KEYS[1]) < lease_ms then redis.call('PEXPIRE', KEYS[1], lease_ms) end
return { 1, active + 1 }
`;

/**
 * Counts live leases.
 *
 * KEYS[1]  lease set key
 * ARGV[1]  now in µs, or '' to use Redis TIME
 */
export const COUNT_LEASES_LUA = `${NOW_US}
local now_ms = math.floor(now_us(ARGV[1]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. now_ms, '+inf')
`;
