// One instance of the leasing experiment (suite 6): its own RateLimitManager on the shared
// redis-server (or on the memory store, for the reference), driven over IPC by leasing.mjs.
//   setup {variant}  → builds the manager, warms it up on another tenant, replies when idle
//   run {startAt}    → paced open-loop load on the hot tenant from `startAt` (CLOCK_MONOTONIC ms,
//                      the same clock in every process) for `durationMs`; replies with a summary
//   close            → manager.close() (refunds held lease tokens); replies with the final counters
// Every decision is recorded (start time, latency, outcome, source) and appended to `recordsFile`
// after every tick, and the lease counters are rewritten to `stateFile` after every tick and every
// take/refund, so a SIGKILLed instance leaves what it did (up to its last tick) on disk.
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRateLimitManager } from '@aurum/ratelimit-core';
import { createRedisStoreFromUrl } from '@aurum/ratelimit-redis';

import { FLAG_ALLOWED, FLAG_ERROR, monotonicNow as now, RECORD_BYTES, SOURCES, STATE_FIELDS } from './leasing-common.mjs';

const SOURCE_CODE = Object.fromEntries(SOURCES.map((s, i) => [s, i]));
const SILENT = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT };
const PENDING = Symbol('pending');
const STILL_PENDING = Promise.resolve(PENDING);

let state;

process.on('message', async (msg) => {
  try {
    if (msg.type === 'setup') process.send({ id: msg.id, ...(await setup(msg.variant)) });
    else if (msg.type === 'run') process.send({ id: msg.id, ...(await run(msg.startAt)) });
    else if (msg.type === 'close') process.send({ id: msg.id, ...(await close()) });
    else if (msg.type === 'exit') process.exit(0); // a clean exit (writes --cpu-prof output)
  } catch (error) {
    process.send({ id: msg.id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(2));
process.send({ type: 'ready' });

/**
 * Counts what the instance takes from and gives back to the shared bucket: a transparent proxy
 * of the RedisStore (no method of its own — one the store lacks stays missing).
 */
function counting(store, counters, onChange) {
  return new Proxy(store, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      if (prop === 'takeUpTo')
        return (key, policy, min, max) => {
          const sentAt = now();
          return value.call(target, key, policy, min, max).then((r) => {
            if (key === counters.key) {
              counters.takes++;
              counters.taken += r.granted ?? 0;
              counters.lastTakeSentAt = sentAt;
              counters.lastTakeAt = now();
              onChange();
            }
            return r;
          });
        };
      if (prop === 'refund')
        return (key, policy, cost) =>
          value.call(target, key, policy, cost).then((r) => {
            if (key === counters.key) {
              counters.refunds++;
              counters.refunded += cost;
              onChange();
            }
            return r;
          });
      return value.bind(target);
    },
  });
}

async function setup(v) {
  const counters = { key: '', taken: 0, refunded: 0, takes: 0, refunds: 0, lastTakeSentAt: 0, lastTakeAt: 0 };
  const quota = { tier: 'enterprise', requestsPerSecond: v.rate, burstSize: v.burst, maxConcurrentRequests: 1e9 };
  const flush = () => state?.flush();
  const store = v.redisUrl ? counting(createRedisStoreFromUrl(v.redisUrl), counters, flush) : undefined;
  const manager = createRateLimitManager({
    env: false,
    logger: SILENT,
    ...(store ? { store } : {}),
    leasing: v.leasing,
    // Documented for a fleet: each instance's memory fallback gets 1/instances of the quota.
    fallbackShare: v.processes,
    ...(v.storeTimeoutMs ? { storeTimeoutMs: v.storeTimeoutMs } : {}),
    // Quotas must not follow this process's event-loop load: the bound is checked against the quota.
    load: { enabled: false },
    overrides: { [v.tenant]: quota, [`${v.tenant}-warm`]: quota },
  });
  if (store) await manager.store.primary.waitForConnection();
  await manager.ready;
  const subject = manager.tenant(v.tenant);
  counters.key = `${subject.key}:b`;
  // JIT warm-up on another tenant with the same quota, paced like the run at the 1× share (leased
  // too when leasing is on), then idle long enough for its leases to expire and be refunded before
  // the parent's INFO snapshot.
  const warm = manager.tenant(`${v.tenant}-warm`);
  await pace(manager, warm, v.warmRatePerProcess, now() + 5, v.warmMs, v.maxLagMs, () => {});
  await new Promise((r) => setTimeout(r, 300));

  const capacity = Math.ceil((v.ratePerProcess * v.durationMs) / 1000) + 10_000;
  const buffer = new ArrayBuffer(capacity * RECORD_BYTES);
  const f64 = new Float64Array(buffer);
  const f32 = new Float32Array(buffer);
  const u32 = new Uint32Array(buffer);
  const bytes = new Uint8Array(buffer);
  const recordsFd = openSync(v.recordsFile, 'w');
  const stateFd = openSync(v.stateFile, 'w');
  const stateBuf = new Float64Array(STATE_FIELDS.length);
  state = {
    v,
    manager,
    subject,
    counters,
    count: 0,
    capacity,
    leaseSpent: 0,
    flushed: 0,
    tick: 0,
    errors: 0,
    firstError: undefined,
    record(t0, t1, decision, error) {
      if (this.count >= capacity) return;
      const i = this.count++;
      f64[i * 2] = t0;
      f32[i * 4 + 2] = (t1 - t0) * 1000;
      let flags = 0;
      if (error) {
        flags = FLAG_ERROR;
        this.errors++;
        this.firstError ??= String(error?.message ?? error);
      } else {
        const source = SOURCE_CODE[decision.metadata.source] ?? 0;
        flags = (decision.allowed ? FLAG_ALLOWED : 0) | (source << 1);
        if (decision.allowed && source === SOURCE_CODE.lease) this.leaseSpent++;
      }
      u32[i * 4 + 3] = flags;
    },
    /** Appends the records completed since the last flush, then rewrites the counters. */
    flush() {
      if (this.count > this.flushed) {
        writeSync(recordsFd, bytes, this.flushed * RECORD_BYTES, (this.count - this.flushed) * RECORD_BYTES);
        this.flushed = this.count;
      }
      stateBuf[0] = counters.taken;
      stateBuf[1] = counters.refunded;
      stateBuf[2] = counters.takes;
      stateBuf[3] = counters.refunds;
      stateBuf[4] = this.flushed;
      stateBuf[5] = this.leaseSpent;
      stateBuf[6] = now();
      stateBuf[7] = counters.lastTakeSentAt;
      stateBuf[8] = counters.lastTakeAt;
      writeSync(stateFd, new Uint8Array(stateBuf.buffer), 0, stateBuf.byteLength, 0);
    },
    closeFiles() {
      this.flush();
      closeSync(recordsFd);
      closeSync(stateFd);
    },
  };
  state.flush();
  return { pid: process.pid, key: counters.key };
}

/**
 * Paced open loop: every tick (a 1 ms timer) issues the decisions due since the start at
 * `ratePerProcess`; a tick that finds more than `maxLagMs` worth due drops the excess (counted
 * as not offered) instead of bursting. Each call's latency is its own: a call answered without
 * I/O (a lease, the memory store, the blocked cache) is timed as soon as its promise settles,
 * before the next call is made; a call waiting on Redis is timed when it settles.
 */
async function run(startAt) {
  const s = state;
  const { manager, subject, v } = s;
  const cpu0 = process.cpuUsage();
  const paced = await pace(
    manager,
    subject,
    v.ratePerProcess,
    startAt,
    v.durationMs,
    v.maxLagMs,
    (t0, t1, decision, error) => s.record(t0, t1, decision, error),
    () => {
      s.tick++;
      s.flush();
    },
  );
  const cpu = process.cpuUsage(cpu0);
  s.flush();
  return {
    ...paced,
    recorded: s.count,
    overflow: paced.issued - s.count,
    errors: s.errors,
    firstError: s.firstError,
    cpuUs: cpu.user + cpu.system,
    counters: { ...s.counters, leaseSpent: s.leaseSpent },
  };
}

/**
 * Offers `checkRateLimit(subject)` at `ratePerProcess` from `startAt` for `durationMs`; resolves
 * once every call has settled. `onDone(t0, t1, decision, error)` per call, `onTick()` per tick.
 */
async function pace(manager, subject, ratePerProcess, startAt, durationMs, maxLagMs, onDone, onTick = () => {}) {
  const perMs = ratePerProcess / 1000;
  const maxDue = Math.max(1, Math.ceil(perMs * maxLagMs));
  const end = startAt + durationMs;
  let issued = 0;
  let dropped = 0;
  let pending = 0;
  let firstSent = Number.POSITIVE_INFINITY;
  let lastSent = 0;
  let firstDone = Number.POSITIVE_INFINITY;
  let lastDone = 0;
  let settleAll;
  const settled = new Promise((resolve) => {
    settleAll = resolve;
  });
  const done = (t0, decision, error) => {
    const t1 = now();
    if (t1 < firstDone) firstDone = t1;
    if (t1 > lastDone) lastDone = t1;
    onDone(t0, t1, decision, error);
  };
  while (now() < startAt) await new Promise((r) => setTimeout(r, Math.max(0, Math.min(5, startAt - now() - 1))));
  const t0Run = now();
  for (;;) {
    const t = now();
    if (t >= end) break;
    let due = Math.floor((t - startAt) * perMs) - issued - dropped;
    if (due > maxDue) {
      dropped += due - maxDue;
      due = maxDue;
    }
    for (let i = 0; i < due; i++) {
      const t0 = now();
      if (t0 < firstSent) firstSent = t0;
      lastSent = t0;
      issued++;
      let p;
      try {
        p = manager.checkRateLimit(subject);
      } catch (error) {
        done(t0, undefined, error);
        continue;
      }
      const first = await Promise.race([p, STILL_PENDING]);
      if (first !== PENDING) {
        done(t0, first);
        continue;
      }
      pending++;
      p.then(
        (d) => done(t0, d),
        (e) => done(t0, undefined, e),
      ).finally(() => {
        if (--pending === 0 && now() >= end) settleAll();
      });
    }
    onTick();
    await new Promise((r) => setTimeout(r, 1));
  }
  if (pending > 0) await settled;
  return { issued, dropped, firstSent, lastSent, firstDone, lastDone, elapsedMs: now() - t0Run };
}

async function close() {
  const s = state;
  await s.manager.close();
  s.closeFiles();
  state = undefined;
  return { counters: { ...s.counters, leaseSpent: s.leaseSpent } };
}
