import { NOW_US } from './clock.js';

/**
 * One GCRA decision, the exact port of `gcraConsume` in `@aurum/ratelimit-core`
 * (packages/core/src/algorithms/gcra.ts): same whole-microsecond arithmetic, same rounding.
 *
 * KEYS[1]  bucket key; holds the theoretical arrival time (µs) as a decimal string
 * ARGV[1]  emission interval T in µs (ceil(1e6 / rate), computed by the caller)
 * ARGV[2]  burst (capacity in tokens)
 * ARGV[3]  cost (tokens)
 * ARGV[4]  now in µs, or '' to use Redis TIME
 *
 * Returns { allowed (1|0), remaining, retryAfterMs, resetAfterMs, costExceedsBurst (1|0) }.
 * An allowed call stores the new TAT with PX = time until the bucket is full again, so an idle
 * key disappears exactly when it stops mattering.
 */
export const CONSUME_LUA = `${NOW_US}
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = now_us(ARGV[4])
local tolerance = interval * burst
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + cost * interval
local backlog = new_tat - now
if backlog <= tolerance then
  local reset_ms = math.ceil(backlog / 1000)
  -- A test clock does not move with real time, so its durations must not drive real expiry:
  -- give such keys a minute of slack (they still expire).
  local ttl = reset_ms
  if ARGV[4] ~= '' then ttl = reset_ms + 60000 end
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl)
  return { 1, math.floor((tolerance - backlog) / interval), 0, reset_ms, 0 }
end
local used = tat - now
local remaining = math.floor((tolerance - used) / interval)
if remaining < 0 then remaining = 0 end
local reset = math.ceil(used / 1000)
if cost > burst then
  return { 0, remaining, reset, reset, 1 }
end
return { 0, remaining, math.ceil((backlog - tolerance) / 1000), reset, 0 }
`;

/**
 * Reads a bucket without changing it (the port of `gcraSnapshot`).
 *
 * KEYS[1]  bucket key
 * ARGV[1]  emission interval T in µs
 * ARGV[2]  burst
 * ARGV[3]  now in µs, or '' to use Redis TIME
 *
 * Returns { remaining, resetAfterMs }.
 */
export const INSPECT_LUA = `${NOW_US}
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = now_us(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]))
local used = 0
if tat ~= nil and tat > now then used = tat - now end
local remaining = math.floor((interval * burst - used) / interval)
if remaining < 0 then remaining = 0 end
return { remaining, math.ceil(used / 1000) }
`;
