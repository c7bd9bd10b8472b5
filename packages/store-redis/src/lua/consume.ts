/**
 * One GCRA decision on the Redis clock. The script does only what must be atomic: read the
 * bucket's theoretical arrival time (TAT), decide, store the new TAT. It returns the TAT it
 * decided from and `now`, and the caller derives remaining/retry/reset with the very same
 * `gcraConsume` of `@aurum/ratelimit-core` (packages/core/src/algorithms/gcra.ts) — so the
 * numbers are bit-identical to the memory store's and the Lua stays small (Redis CPU per
 * decision is the limit of a shared limiter).
 *
 * KEYS[1]  bucket key; holds the TAT (µs) as a decimal string
 * ARGV[1]  emission interval T in µs (ceil(1e6 / rate), computed by the caller)
 * ARGV[2]  burst (capacity in tokens)
 * ARGV[3]  cost (tokens)
 * ARGV[4]  now in µs, or '' to use Redis TIME
 *
 * Returns { allowed (1|0), tat (µs, at least now), now (µs) }. An allowed call stores the new
 * TAT with PX = time until the bucket is full again, so an idle key disappears exactly when it
 * stops mattering (a test clock, which does not follow real time, gets a minute of slack).
 */
export const CONSUME_LUA = `
local now
if ARGV[4] ~= '' then now = tonumber(ARGV[4]) else
  local t = redis.call('TIME')
  now = t[1] * 1000000 + t[2]
end
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + ARGV[3] * ARGV[1]
local backlog = new_tat - now
if backlog <= ARGV[1] * ARGV[2] then
  local ttl = math.ceil(backlog / 1000)
  if ARGV[4] ~= '' then ttl = ttl + 60000 end
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl)
  return { 1, tat, now }
end
return { 0, tat, now }
`;

/**
 * Reads a bucket without changing it: the caller applies `gcraSnapshot` to the answer.
 *
 * KEYS[1]  bucket key
 * ARGV[1]  now in µs, or '' to use Redis TIME
 *
 * Returns { tat (µs, 0 when absent), now (µs) }.
 */
export const INSPECT_LUA = `
local now
if ARGV[1] ~= '' then now = tonumber(ARGV[1]) else
  local t = redis.call('TIME')
  now = t[1] * 1000000 + t[2]
end
return { tonumber(redis.call('GET', KEYS[1])) or 0, now }
`;

/**
 * {@link CONSUME_LUA} and then, when it allowed (or always, with ARGV[8] = '1'), a concurrency
 * lease as in ACQUIRE_LUA, in one round trip. Both keys share the tenant's hash tag.
 *
 * KEYS[1]  bucket key                 ARGV[1..4] as CONSUME_LUA
 * KEYS[2]  lease set key              ARGV[5] limit, ARGV[6] lease lifetime (ms), ARGV[7] lease id
 *                                     ARGV[8] '1' to take a lease even when the bucket refuses
 *
 * Returns { allowed (1|0), tat, now, lease (1 taken, 0 refused, -1 not tried), active leases }.
 */
export const CONSUME_ACQUIRE_LUA = `
local now
if ARGV[4] ~= '' then now = tonumber(ARGV[4]) else
  local t = redis.call('TIME')
  now = t[1] * 1000000 + t[2]
end
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local new_tat = tat + ARGV[3] * ARGV[1]
local backlog = new_tat - now
local allowed = 0
if backlog <= ARGV[1] * ARGV[2] then
  local ttl = math.ceil(backlog / 1000)
  if ARGV[4] ~= '' then ttl = ttl + 60000 end
  redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', ttl)
  allowed = 1
end
if allowed == 0 and ARGV[8] ~= '1' then return { 0, tat, now, -1, 0 } end
local lease_ms = tonumber(ARGV[6])
local now_ms = math.floor(now / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now_ms)
local active = redis.call('ZCARD', KEYS[2])
if active >= tonumber(ARGV[5]) then return { allowed, tat, now, 0, active } end
redis.call('ZADD', KEYS[2], now_ms + lease_ms, ARGV[7])
if redis.call('PTTL', KEYS[2]) < lease_ms then redis.call('PEXPIRE', KEYS[2], lease_ms) end
return { allowed, tat, now, 1, active + 1 }
`;
