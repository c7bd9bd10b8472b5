import { ReplyError } from 'ioredis';
import type { PolicyArgs } from './policy-args.js';
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
  const policies: string[] = [];
  const entries: Array<string | number> = [];
  // Each policy once per call (entries refer to it by number): fewer arguments, less Redis CPU.
  const index = new Map<PolicyArgs, number>();
  for (const d of batch) {
    const { args, lease } = d;
    let p = index.get(args);
    if (p === undefined) {
      p = index.size + 1;
      index.set(args, p);
      policies.push(args.intervalArg, args.burstArg);
    }
    keys.push(d.key);
    if (lease === undefined) entries.push(p, d.cost);
    else {
      keys.push(lease.key);
      entries.push(-p, d.cost, lease.limit, lease.leaseMs, lease.leaseId, lease.always ? '1' : '0');
    }
  }
  const argv = [(batch[0] as QueuedDecision).now, index.size, ...policies, ...entries];
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
    const tat = reply[i];
    const combined = d.lease !== undefined;
    try {
      if (typeof tat !== 'number') d.reject(new ReplyError(String(tat)));
      else settle(d, tat, now, combined ? Number(reply[i + 1]) : -1, combined ? Number(reply[i + 2]) : 0);
    } catch (error) {
      // The core's math refusing an answer fails this entry, never its neighbours.
      d.reject(error);
    }
    i += combined ? 3 : 1;
  }
}
