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
