import { NOW_US } from './clock.js';
import { LEASE_FN } from './leases.js';

/**
 * Lua function shared by the decision scripts: one GCRA step on `key` at `now` (µs). Reads the
 * TAT, decides, and when allowed stores the new TAT with PX = time until the bucket is full
 * again (a test clock, which does not follow real time, gets a minute of slack). Returns
 * allowed (1|0) and the TAT it decided from (at least `now`).
 *
 * The new TAT goes to SET as a Lua number: Redis formats number arguments with `%.17g`, exact
 * for every whole number below 2^53 (Lua's own `tostring` would round to 14 digits), and about
 * 5 % cheaper per decision than building the string with `string.format`.
 */
export const GCRA_FN = `
local function gcra(key, interval, burst, cost, now, test_clock)
  local tat = tonumber(redis.call('GET', key))
  if tat == nil or tat < now then tat = now end
  local new_tat = tat + cost * interval
  local backlog = new_tat - now
  if backlog > interval * burst then return 0, tat end
  local ttl = math.ceil(backlog / 1000)
  if test_clock then ttl = ttl + 60000 end
  redis.call('SET', key, new_tat, 'PX', ttl)
  return 1, tat
end
`;

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
export const CONSUME_LUA = `${NOW_US}${GCRA_FN}
local now = now_us(ARGV[4])
local allowed, tat = gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), now, ARGV[4] ~= '')
return { allowed, tat, now }
`;

/**
 * Reads a bucket without changing it: the caller applies `gcraSnapshot` to the answer.
 *
 * KEYS[1]  bucket key
 * ARGV[1]  now in µs, or '' to use Redis TIME
 *
 * Returns { tat (µs, 0 when absent), now (µs) }.
 */
export const INSPECT_LUA = `${NOW_US}
return { tonumber(redis.call('GET', KEYS[1])) or 0, now_us(ARGV[1]) }
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
export const CONSUME_ACQUIRE_LUA = `${NOW_US}${GCRA_FN}${LEASE_FN}
local now = now_us(ARGV[4])
local allowed, tat = gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), now, ARGV[4] ~= '')
if allowed == 0 and ARGV[8] ~= '1' then return { 0, tat, now, -1, 0 } end
local taken, active = take_lease(KEYS[2], tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], math.floor(now / 1000))
return { allowed, tat, now, taken, active }
`;
