import { NOW_US } from './clock.js';
import { GCRA_FN } from './consume.js';

/**
 * Takes as many tokens as the bucket holds, up to `max`, and at least `min` (else none), in one
 * atomic step: how an instance leases a batch of a hot tenant's tokens. The same decision as
 * `gcraTakeUpTo` of `@aurum/ratelimit-core` (packages/core/src/algorithms/gcra.ts; keep the two
 * in step): the tokens available are floor((T × burst − backlog) / T), and a grant of at least
 * `min` is one GCRA step of that cost (the consume script's own function, TTL included). As the
 * consume script, it returns only the TAT it decided from and `now`; the caller's
 * `gcraTakeUpTo` derives granted, remaining, retry and reset from them, bit for bit as the
 * memory store does.
 *
 * KEYS[1]  bucket key (as CONSUME_LUA)
 * ARGV[1]  emission interval T in µs
 * ARGV[2]  burst
 * ARGV[3]  min (tokens; ≥ 1)
 * ARGV[4]  max (tokens; ≥ min)
 * ARGV[5]  now in µs, or '' to use Redis TIME
 *
 * Returns { tat (µs, at least now), now (µs) }.
 */
export const TAKE_UP_TO_LUA = `${NOW_US}${GCRA_FN}
local now = now_us(ARGV[5])
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then tat = now end
local grant = math.min(tonumber(ARGV[4]), math.floor((interval * burst - (tat - now)) / interval))
if grant >= tonumber(ARGV[3]) then gcra(KEYS[1], interval, burst, grant, now, ARGV[5] ~= '') end
return { tat, now }
`;
