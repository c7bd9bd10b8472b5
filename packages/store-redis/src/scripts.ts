import { CONSUME_BATCH_LUA } from './lua/consume-batch.js';
import { CONSUME_ACQUIRE_LUA, CONSUME_LUA, INSPECT_LUA } from './lua/consume.js';
import { ACQUIRE_LUA, COUNT_LEASES_LUA } from './lua/leases.js';
import { REFUND_LUA } from './lua/refund.js';
import { TAKE_UP_TO_LUA } from './lua/take.js';
import { LuaScript } from './script.js';

/** The store's scripts, each with its pinned SHA (fleet scripts live with the fleet). */
export const SCRIPTS = {
  consume: new LuaScript(CONSUME_LUA),
  consumeAcquire: new LuaScript(CONSUME_ACQUIRE_LUA),
  consumeBatch: new LuaScript(CONSUME_BATCH_LUA),
  inspect: new LuaScript(INSPECT_LUA),
  acquire: new LuaScript(ACQUIRE_LUA),
  countLeases: new LuaScript(COUNT_LEASES_LUA),
  refund: new LuaScript(REFUND_LUA),
  takeUpTo: new LuaScript(TAKE_UP_TO_LUA),
} as const;
