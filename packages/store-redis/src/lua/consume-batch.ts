import { NOW_US } from './clock.js';
import { GCRA_FN } from './consume.js';
import { LEASE_FN } from './leases.js';

/**
 * Many decisions in one script: each entry is exactly a `CONSUME_LUA` or `CONSUME_ACQUIRE_LUA`
 * run, in the order given, so an entry sees the effect of every entry
 * before it (the same key twice is two serialised GCRA steps). All entries are decided at one
 * reading of Redis TIME: that is exact, because each entry is still one atomic step on the
 * bucket's stored TAT, and nothing else runs on the server while the script does.
 *
 * The entries run under Lua's `pcall`: a command that fails (WRONGTYPE on a key someone else
 * wrote, say) ends its entry with an error marker and the next entry runs. Catching the error of
 * the whole entry, not of each command with `redis.pcall`, keeps the shared functions unchanged
 * and never lets an entry go on after a failed read (a failed GET must not look like an empty
 * bucket). As with the single scripts, writes an entry made before its failure stay.
 *
 * On a Cluster every key of one call must be in one hash slot: the caller sends one call per slot.
 * Every argument costs Redis a Lua string, so a call names each policy once and the entries
 * refer to it, and an entry answers only what the caller cannot know: the TAT it decided from
 * (the caller's `gcraConsume` gets allowed, remaining, retry and reset from it and `now`).
 *
 * KEYS     per entry, in order: its bucket key; a consume-and-acquire entry also its lease set key
 * ARGV[1]  now in µs, or '' to use Redis TIME (one reading for every entry)
 * ARGV[2]  P, the number of policies
 * ARGV[3…] P pairs: emission interval T (µs), burst — policy p is ARGV[1 + 2p], ARGV[2 + 2p]
 * then     per entry, in order: policy p, cost (as CONSUME_LUA); for a consume-and-acquire entry
 *          -p, cost, limit, lease lifetime (ms), lease id, '1' to lease even when refused
 *          (as CONSUME_ACQUIRE_LUA)
 *
 * Returns { now (µs), then per entry: tat (µs, at least now) — and for consume-and-acquire: lease
 * (1 taken, 0 refused, -1 not tried), active leases }. A failed entry has Redis's error message
 * instead of tat (and 0, 0 for the lease fields).
 */
export const CONSUME_BATCH_LUA = `${NOW_US}${GCRA_FN}${LEASE_FN}
local function admit(bucket, leases, interval, burst, cost, now, test_clock, always, limit, lease_ms, id)
  local allowed, tat = gcra(bucket, interval, burst, cost, now, test_clock)
  if allowed == 0 and not always then return tat, -1, 0 end
  local taken, active = take_lease(leases, limit, lease_ms, id, math.floor(now / 1000))
  return tat, taken, active
end
local function message(e)
  if type(e) == 'table' and e.err then return e.err end
  return tostring(e)
end
local now = now_us(ARGV[1])
local test_clock = ARGV[1] ~= ''
local intervals, bursts = {}, {}
for p = 1, tonumber(ARGV[2]) do
  intervals[p], bursts[p] = tonumber(ARGV[1 + 2 * p]), tonumber(ARGV[2 + 2 * p])
end
local out = { now }
local n, k, a, last = 1, 1, 3 + 2 * tonumber(ARGV[2]), #ARGV
-- Decides the entries from the current one on; n, k and a move past an entry once it is decided,
-- so when a command raises an error they still point at the entry that failed.
local function run()
  while a <= last do
    local p, cost = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
    if p > 0 then
      local _, tat = gcra(KEYS[k], intervals[p], bursts[p], cost, now, test_clock)
      out[n + 1] = tat
      n, k, a = n + 1, k + 1, a + 2
    else
      local tat, taken, active = admit(KEYS[k], KEYS[k + 1], intervals[-p], bursts[-p], cost, now, test_clock,
        ARGV[a + 5] == '1', tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), ARGV[a + 4])
      out[n + 1], out[n + 2], out[n + 3] = tat, taken, active
      n, k, a = n + 3, k + 2, a + 6
    end
  end
end
-- One pcall per run of entries rather than per entry (a pcall per entry cost about 5 % more
-- Redis CPU): a failed entry gets the error's message and the run goes on from the next.
while true do
  local ok, e = pcall(run)
  if ok then break end
  if tonumber(ARGV[a]) > 0 then
    out[n + 1] = message(e)
    n, k, a = n + 1, k + 1, a + 2
  else
    out[n + 1], out[n + 2], out[n + 3] = message(e), 0, 0
    n, k, a = n + 3, k + 2, a + 6
  end
end
return out
`;
