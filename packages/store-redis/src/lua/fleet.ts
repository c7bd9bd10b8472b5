import { NOW_US } from './clock.js';

/**
 * Records an override change (or a reset) and announces it to every instance. The override hash
 * and the event stream share the `{meta}` hash tag, so this is one slot on a Cluster.
 *
 * KEYS[1]  overrides hash (tenant id → JSON quota)
 * KEYS[2]  event stream
 * ARGV[1]  event type: 'override' | 'reset'
 * ARGV[2]  tenant id
 * ARGV[3]  override JSON, '' to remove the override (ignored for 'reset')
 * ARGV[4]  TTL in ms for both keys (refreshed on every write)
 * ARGV[5]  approximate maximum stream length
 */
export const PUBLISH_LUA = `
if ARGV[1] == 'override' then
  if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[2]) else redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) end
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'type', ARGV[1], 'tenant', ARGV[2], 'data', ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return id
`;

/**
 * Adds a batch of recently seen tenants to the bounded fleet-wide index.
 *
 * KEYS[1]  sorted set: tenant id scored by last-seen time (ms)
 * ARGV[1]  most members kept (oldest dropped first)
 * ARGV[2]  TTL in ms (refreshed on every write)
 * ARGV[3…] pairs of score, member
 */
export const RECORD_SEEN_LUA = `
for i = 3, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 'GT', ARGV[i], ARGV[i + 1])
end
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[1])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * The page of the tenant index after a cursor (score, member), in ZREVRANGE order: score
 * descending, ties by member descending. While the cursor's member still has the cursor's score,
 * its rank locates the page exactly, however many members share that score. Otherwise (seen
 * again, or dropped from the index) the members tied at the cursor's score come back whole, for
 * the caller to keep those below the cursor's member: Lua compares strings by the server's
 * locale, not byte order, so it cannot pick them itself.
 *
 * KEYS[1]  sorted set: tenant id scored by last-seen time (ms)
 * ARGV[1]  cursor score
 * ARGV[2]  cursor member
 * ARGV[3]  most members returned
 *
 * Returns { page } (member, score, … flat) when the cursor was found, otherwise { lower, tied }:
 * up to ARGV[3] members (with scores) below the cursor's score, and every member at it (descending).
 */
export const LIST_SEEN_AFTER_LUA = `
local limit = tonumber(ARGV[3])
local score = redis.call('ZSCORE', KEYS[1], ARGV[2])
if score and tonumber(score) == tonumber(ARGV[1]) then
  local rank = redis.call('ZREVRANK', KEYS[1], ARGV[2])
  return { redis.call('ZREVRANGE', KEYS[1], rank + 1, rank + limit, 'WITHSCORES') }
end
local lower = redis.call('ZREVRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '-inf', 'WITHSCORES', 'LIMIT', 0, limit)
return { lower, redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1]) }
`;

/**
 * Publishes one instance's load and reads every live instance's, in one round trip on one key
 * (the `{meta}` hash tag: one slot on a Cluster). Each field carries its own timestamp (Redis
 * TIME), so an instance that stopped publishing drops out after ARGV[3] ms even though the hash
 * lives on; the hash itself expires ARGV[3] ms after the last publish of any instance.
 *
 * KEYS[1]  hash: instance id → "<load>|<published at, ms>"
 * ARGV[1]  this instance's id
 * ARGV[2]  its load in [0, 1] as a decimal string, or '' to withdraw it (on close)
 * ARGV[3]  ms after which an entry counts as stale (and is deleted); the hash's TTL
 *
 * Returns a flat list: id, load (string: Lua would truncate a number), age in ms, … for every
 * live entry, this instance's included.
 */
export const FLEET_LOAD_LUA = `${NOW_US}
local now = math.floor(now_us('') / 1000)
local stale = tonumber(ARGV[3])
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. now)
  redis.call('PEXPIRE', KEYS[1], stale)
end
local flat = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #flat, 2 do
  local value = flat[i + 1]
  local sep = string.find(value, '|', 1, true)
  local at = sep and tonumber(string.sub(value, sep + 1))
  if at == nil or now - at > stale then
    redis.call('HDEL', KEYS[1], flat[i])
  else
    out[#out + 1] = flat[i]
    out[#out + 1] = string.sub(value, 1, sep - 1)
    out[#out + 1] = tostring(now - at)
  end
end
return out
`;
