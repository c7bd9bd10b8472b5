/**
 * Atomicity worker: hammers one bucket through RedisStore.consume (one EVALSHA per decision,
 * Redis TIME as the clock) with several decisions in flight, for `durationMs` after the parent
 * says go, then reports what it was granted and when it was asking.
 */
import { Redis } from 'ioredis';
import { LIMITER_CLIENT_OPTIONS, RedisStore, SCRIPTS } from '../../src/index.js';
import { config, guard, receive, send } from './worker-runtime.js';

export interface HammerConfig {
  url: string;
  key: string;
  rate: number;
  burst: number;
  durationMs: number;
  inFlight: number;
  /** Pause of each lane between decisions, in ms: still far above the rate, but leaves CPU to tests running alongside. */
  pauseMs: number;
}

export interface HammerReport {
  type: 'done';
  admitted: number;
  denied: number;
  errors: number;
  firstError?: string;
  /** Date.now() when the first decision was sent / answered. */
  firstSentAt: number;
  firstDoneAt: number;
  /** Date.now() when the last decision was sent / answered. */
  lastSentAt: number;
  lastDoneAt: number;
}

guard(25_000);
const cfg = config<HammerConfig>();
const client = new Redis(cfg.url, LIMITER_CLIENT_OPTIONS);
const store = new RedisStore({ client, fleet: false });
await store.waitForConnection();
// Loaded up front so no process spends its first decision on the NOSCRIPT → EVAL path.
await client.script('LOAD', SCRIPTS.consume.source);
send({ type: 'ready' });
await receive('go');

const report: HammerReport = {
  type: 'done',
  admitted: 0,
  denied: 0,
  errors: 0,
  firstSentAt: Number.POSITIVE_INFINITY,
  firstDoneAt: Number.POSITIVE_INFINITY,
  lastSentAt: 0,
  lastDoneAt: 0,
};
const end = Date.now() + cfg.durationMs;
const policy = { rate: cfg.rate, burst: cfg.burst };

async function lane(): Promise<void> {
  while (Date.now() < end) {
    const sentAt = Date.now();
    report.firstSentAt = Math.min(report.firstSentAt, sentAt);
    report.lastSentAt = Math.max(report.lastSentAt, sentAt);
    try {
      const result = await store.consume(cfg.key, policy, 1);
      if (result.allowed) report.admitted++;
      else report.denied++;
    } catch (err) {
      report.errors++;
      report.firstError ??= String(err);
    }
    const doneAt = Date.now();
    report.firstDoneAt = Math.min(report.firstDoneAt, doneAt);
    report.lastDoneAt = Math.max(report.lastDoneAt, doneAt);
    if (cfg.pauseMs > 0) await new Promise((r) => setTimeout(r, cfg.pauseMs));
  }
}

await Promise.all(Array.from({ length: cfg.inFlight }, lane));
send({ ...report });
await store.close();
await client.quit();
process.disconnect();
