/**
 * Lua prelude shared by the scripts: `now` in microseconds from ARGV (tests inject a clock) or,
 * normally, from the Redis server's TIME, so client clocks never matter.
 */
export const NOW_US = `
local function now_us(arg)
  if arg ~= nil and arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
`;
