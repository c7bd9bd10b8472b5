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
 * Each entry runs under Lua's `pcall`: a command that fails (WRONGTYPE on a key someone else
 * wrote, say) ends that entry with an error marker and the next entry runs. Wrapping the whole
 * entry, not each command in `redis.pcall`, keeps the shared functions unchanged and never lets
 * an entry go on after a failed read (a failed GET must not look like an empty bucket). As with
 * the single scripts, writes an entry made before its failure stay.
 *
 * On a Cluster every key of one call must be in one hash slot: the caller sends one call per slot.
 *
 * KEYS     per entry, in order: its bucket key; a consume-and-acquire entry also its lease set key
 * ARGV[1]  now in µs, or '' to use Redis TIME (one reading for every entry)
 * ARGV[2…] per entry, in order:
 *            kind: 'c' consume | 'a' consume and acquire | 'A' the same, leasing even when refused
 *            emission interval T (µs), burst, cost            (as ARGV[1..3] of CONSUME_LUA)
 *            'a'/'A' only: limit, lease lifetime (ms), lease id (as ARGV[5..7] of CONSUME_ACQUIRE_LUA)
 *
 * Returns { now (µs), then per entry: allowed (1|0), tat (µs, at least now) — and for 'a'/'A':
 * lease (1 taken, 0 refused, -1 not tried), active leases }. A failed entry has -1 instead of
 * allowed and the error message instead of tat (and 0, 0 for the lease fields).
 */
export const CONSUME_BATCH_LUA = `${NOW_US}${GCRA_FN}${LEASE_FN}
local function admit(bucket, leases, interval, burst, cost, now, test_clock, always, limit, lease_ms, id)
  local allowed, tat = gcra(bucket, interval, burst, cost, now, test_clock)
  if allowed == 0 and not always then return 0, tat, -1, 0 end
  local taken, active = take_lease(leases, limit, lease_ms, id, math.floor(now / 1000))
  return allowed, tat, taken, active
end
local function message(e)
  if type(e) == 'table' and e.err then return e.err end
  return tostring(e)
end
local now = now_us(ARGV[1])
local test_clock = ARGV[1] ~= ''
local out = { now }
local n, k, a = 1, 1, 2
while a <= #ARGV do
  local kind = ARGV[a]
  local interval, burst, cost = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  if kind == 'c' then
    local ok, allowed, tat = pcall(gcra, KEYS[k], interval, burst, cost, now, test_clock)
    if ok then out[n + 1], out[n + 2] = allowed, tat else out[n + 1], out[n + 2] = -1, message(allowed) end
    n, k, a = n + 2, k + 1, a + 4
  else
    local ok, allowed, tat, taken, active = pcall(admit, KEYS[k], KEYS[k + 1], interval, burst, cost, now, test_clock,
      kind == 'A', tonumber(ARGV[a + 4]), tonumber(ARGV[a + 5]), ARGV[a + 6])
    if ok then
      out[n + 1], out[n + 2], out[n + 3], out[n + 4] = allowed, tat, taken, active
    else
      out[n + 1], out[n + 2], out[n + 3], out[n + 4] = -1, message(allowed), 0, 0
    end
    n, k, a = n + 4, k + 2, a + 7
  end
end
return out
`;
