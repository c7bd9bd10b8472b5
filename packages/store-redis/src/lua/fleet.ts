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
