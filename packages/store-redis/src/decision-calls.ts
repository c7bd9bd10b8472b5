import { ReplyError } from 'ioredis';
import type { QueuedDecision } from './queued-decision.js';
import { settle } from './queued-decision.js';
import type { ScriptClient } from './script.js';
import { SCRIPTS } from './scripts.js';

/** One decision with the single-decision scripts: one EVALSHA, exactly as without batching. */
export async function runOne(client: ScriptClient, d: QueuedDecision): Promise<void> {
  try {
    const { args, lease } = d;
    if (lease === undefined) {
      const reply = (await SCRIPTS.consume.run(client, [d.key], [args.intervalArg, args.burstArg, d.cost, d.now])) as number[];
      settle(d, Number(reply[1]), Number(reply[2]), -1, 0);
    } else {
      const reply = (await SCRIPTS.consumeAcquire.run(
        client,
        [d.key, lease.key],
        [args.intervalArg, args.burstArg, d.cost, d.now, lease.limit, lease.leaseMs, lease.leaseId, lease.always ? '1' : '0'],
      )) as number[];
      settle(d, Number(reply[1]), Number(reply[2]), Number(reply[3]), Number(reply[4]));
    }
  } catch (error) {
    d.reject(error);
  }
}

/**
 * Many decisions in one EVALSHA of CONSUME_BATCH_LUA, decided in the order of `batch` (all keys
 * in one Cluster slot). An entry the script could not decide fails alone, with Redis's message;
 * when the call itself fails (connection, NOSCRIPT twice, a timeout of the client) every entry
 * fails with its error.
 */
export async function runBatch(client: ScriptClient, batch: readonly QueuedDecision[]): Promise<void> {
  const keys: string[] = [];
  const argv: Array<string | number> = [(batch[0] as QueuedDecision).now];
  for (const d of batch) {
    const { args, lease } = d;
    keys.push(d.key);
    if (lease === undefined) argv.push('c', args.intervalArg, args.burstArg, d.cost);
    else {
      keys.push(lease.key);
      argv.push(lease.always ? 'A' : 'a', args.intervalArg, args.burstArg, d.cost, lease.limit, lease.leaseMs, lease.leaseId);
    }
  }
  let reply: Array<number | string>;
  try {
    reply = (await SCRIPTS.consumeBatch.run(client, keys, argv)) as Array<number | string>;
  } catch (error) {
    for (const d of batch) d.reject(error);
    return;
  }
  const now = Number(reply[0]);
  let i = 1;
  for (const d of batch) {
    const combined = d.lease !== undefined;
    try {
      if (Number(reply[i]) < 0) d.reject(new ReplyError(String(reply[i + 1])));
      else settle(d, Number(reply[i + 1]), now, combined ? Number(reply[i + 2]) : -1, combined ? Number(reply[i + 3]) : 0);
    } catch (error) {
      // The core's math refusing an answer fails this entry, never its neighbours.
      d.reject(error);
    }
    i += combined ? 4 : 2;
  }
}
