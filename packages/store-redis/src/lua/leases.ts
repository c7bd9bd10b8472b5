import { NOW_US } from './clock.js';

/**
 * Lua function shared by the lease scripts: purges expired leases of the sorted set `key`
 * (scored by expiry, ms), then takes one for `lease_ms` when fewer than `limit` are live.
 * Returns taken (1|0) and the live leases after the call.
 */
export const LEASE_FN = `
local function take_lease(key, limit, lease_ms, id, now_ms)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now_ms)
  local active = redis.call('ZCARD', key)
  if active >= limit then return 0, active end
  redis.call('ZADD', key, now_ms + lease_ms, id)
  if redis.call('PTTL', key) < lease_ms then redis.call('PEXPIRE', key, lease_ms) end
  return 1, active + 1
end
`;

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
export const ACQUIRE_LUA = `${NOW_US}${LEASE_FN}
local taken, active = take_lease(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], math.floor(now_us(ARGV[4]) / 1000))
return { taken, active }
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
