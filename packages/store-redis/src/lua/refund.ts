import { NOW_US } from './clock.js';

/**
 * Gives tokens back to a bucket: the exact inverse of an allowed decision, as `gcraRefund` of
 * `@aurum/ratelimit-core` (packages/core/src/algorithms/gcra.ts; keep the two in step). The TAT
 * moves back by cost × T, never before `now` (a bucket never holds more than its burst); a key
 * that is missing, or full once refunded, is deleted (DEL of a missing key is a no-op), so no
 * state is left that a full bucket would not have. The TTL is set as the consume script sets
 * it: time until the bucket is full again, plus a minute for a test clock.
 *
 * KEYS[1]  bucket key (as CONSUME_LUA)
 * ARGV[1]  emission interval T in µs
 * ARGV[2]  cost (tokens to give back)
 * ARGV[3]  now in µs, or '' to use Redis TIME
 *
 * Returns the TAT stored (µs), or 0 when the bucket is full (or was never written).
 */
export const REFUND_LUA = `${NOW_US}
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil then return 0 end
local now = now_us(ARGV[3])
local back = tat - tonumber(ARGV[2]) * tonumber(ARGV[1])
if back <= now then
  redis.call('DEL', KEYS[1])
  return 0
end
local ttl = math.ceil((back - now) / 1000)
if ARGV[3] ~= '' then ttl = ttl + 60000 end
redis.call('SET', KEYS[1], back, 'PX', ttl)
return back
`;
