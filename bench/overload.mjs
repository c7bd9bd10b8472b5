#!/usr/bin/env node
/**
 * Overload experiment: does load-adaptive shedding keep paying tenants served?
 *
 *   node bench/overload.mjs [--overload-seconds 30] [--threshold 0.8] [--signals eventLoopUtilization,eventLoopDelay]
 *                           [--sample 100] [--smoothing 500] [--trace] [--json out.json]
 *
 * A node:http app behind the core's createHttpRateLimiter, with a CPU-heavy handler (2 ms of
 * computation per request), is driven past saturation by free and enterprise tenants at once
 * from a load generator in a separate process (open loop: requests are sent on schedule whatever
 * the latency, and latency is measured from the scheduled time). The same run is made with load
 * adjustment on (event-loop utilisation and delay, sampled every 100 ms, smoothed over 500 ms:
 * see docs/load-shedding.md for why not the 1 s / 5 s defaults) and off. Loopback only; every
 * child is stopped by PID; the whole command ends within two minutes.
 *
 * Phases of each run: calibrated capacity C (closed-loop probe, adjustment off), then
 * `baseline` (enterprise 0.3·C + free 0.3·C, under capacity), then `overload` (free rises to
 * 1.2·C: 1.5·C offered). Each free tenant sends 4 req/s (under its 5 req/s quota: the limiter
 * only refuses it when load cuts the quota); each enterprise tenant far under its 500 req/s.
 * Statistics cover the last seconds of each phase (after `settle`).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const args = parseArgs(process.argv.slice(2));
const role = args.role ?? 'main';

if (role === 'server') await server(args);
else if (role === 'load') await loadGenerator(JSON.parse(args.plan));
else await main();

// ─── orchestration ────────────────────────────────────────────────────────────

async function main() {
  const overloadSeconds = Number(args['overload-seconds'] ?? 30);
  const started = Date.now();
  const hardStop = setTimeout(() => {
    console.error('overload: time limit (115 s) reached; stopping');
    process.exit(2);
  }, 115_000);
  hardStop.unref();

  const capacity = await calibrate();
  console.log(`capacity of one process with a 2 ms handler: ~${capacity} req/s (closed-loop probe)`);
  const results = {};
  for (const adjust of [true, false]) {
    results[adjust ? 'on' : 'off'] = await run(adjust, capacity, overloadSeconds);
  }
  const report = { capacity, overloadSeconds, results, seconds: Math.round((Date.now() - started) / 1000) };
  printReport(report);
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
}

/** Runs a server (adjust off) and a closed-loop probe for 2 s: requests per second the handler sustains. */
async function calibrate() {
  const srv = await startChild(['--role', 'server', '--adjust', 'off', ...serverArgs()]);
  try {
    const port = (await srv.next('listening')).port;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    let done = 0;
    const end = Date.now() + 2_000;
    // Enterprise probe tenants: their quota (500 req/s each) is far above what one process serves.
    const lane = async (i) => {
      while (Date.now() < end) if ((await get(agent, port, `ent-probe-${i}`, 5_000)) === 200) done++;
    };
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 16 }, (_, i) => lane(i)));
    agent.destroy();
    return Math.round(done / ((Date.now() - t0) / 1000));
  } finally {
    await srv.stop();
  }
}

async function run(adjust, capacity, overloadSeconds) {
  const label = adjust ? 'adjustment on' : 'adjustment off';
  console.log(`\n── ${label}: baseline 6 s, then ${overloadSeconds} s at 1.5× capacity …`);
  const srv = await startChild(['--role', 'server', '--adjust', adjust ? 'on' : 'off', ...serverArgs()]);
  const samples = [];
  srv.onMessage((m) => {
    if (m.type !== 'sample') return;
    samples.push(m);
    if (args.trace) console.log(`  ${m.phase} load ${m.load.toFixed(2)} free ${m.factors.free.toFixed(2)} enterprise ${m.factors.enterprise.toFixed(2)}`);
  });
  try {
    const port = (await srv.next('listening')).port;
    const freeTenants = Math.max(10, Math.round(capacity / 4));
    const plan = {
      port,
      timeoutMs: 2_000,
      classes: {
        enterprise: { tenants: 4, prefix: 'ent-', rate: (0.3 * capacity) / 4 },
        free: { tenants: freeTenants, prefix: 'free-', rate: 4 },
      },
      phases: [
        { name: 'baseline', seconds: 6, settle: 3, share: { enterprise: 1, free: (0.3 * capacity) / (4 * freeTenants) } },
        {
          name: 'overload',
          seconds: overloadSeconds,
          settle: Math.min(12, overloadSeconds * 0.4),
          share: { enterprise: 1, free: (1.2 * capacity) / (4 * freeTenants) },
        },
      ],
    };
    const gen = await startChild(['--role', 'load', '--plan', JSON.stringify(plan)]);
    // The server tags its load samples with the generator's current phase.
    gen.onMessage((m) => {
      if (m.type === 'phase') srv.send(m);
    });
    try {
      const { stats } = await gen.next('done', (6 + overloadSeconds + 15) * 1000);
      const window = (phase) => samples.filter((s) => s.phase === phase);
      for (const phase of ['baseline', 'overload']) {
        const during = window(phase);
        stats[phase].server = during.length
          ? {
              load: mean(during.map((s) => s.load)),
              factors: Object.fromEntries(['free', 'enterprise'].map((t) => [t, mean(during.map((s) => s.factors[t]))])),
            }
          : null;
      }
      return stats;
    } finally {
      await gen.stop();
    }
  } finally {
    await srv.stop();
  }
}

function printReport({ capacity, overloadSeconds, results, seconds }) {
  const pct = (x) => `${(100 * x).toFixed(1)} %`;
  const ms = (x) => (x === null ? '—' : `${Math.round(x)} ms`);
  const [, signals, , threshold, , smoothing, , sample] = serverArgs();
  console.log(`\nOverload experiment (capacity ~${capacity} req/s; overload ${overloadSeconds} s at 1.5×; ${seconds} s in all)`);
  console.log(`load: signals ${signals}, threshold ${threshold}, smoothing ${smoothing} ms, sampled every ${sample} ms\n`);
  console.log(
    '| adjustment | phase | class | offered req/s | success (200) | shed (503/429) | timeouts/errors | p50 (200) | p99 (200) | p99 (all) | server load | factor |',
  );
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [mode, stats] of Object.entries(results)) {
    for (const phase of ['baseline', 'overload']) {
      for (const cls of ['enterprise', 'free']) {
        const s = stats[phase][cls];
        const server = stats[phase].server;
        console.log(
          `| ${mode} | ${phase} | ${cls} | ${s.offered.toFixed(0)} | ${pct(s.success)} | ${pct(s.shed)} | ${pct(s.failed)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.p99All)} | ${server ? server.load.toFixed(2) : '—'} | ${server ? server.factors[cls].toFixed(2) : '—'} |`,
        );
      }
    }
  }
}

// ─── the app under test ──────────────────────────────────────────────────────

async function server(opts) {
  const { createHttpRateLimiter } = await import('@aurum/ratelimit-core/adapter');
  const adjust = opts.adjust === 'on';
  const limiter = createHttpRateLimiter({
    env: false,
    admin: false,
    tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }],
    // Faster than the defaults (1 s, 5 s): see docs/load-shedding.md#tuning.
    load: adjust
      ? { signals: opts.signals.split(','), threshold: Number(opts.threshold), sampleIntervalMs: Number(opts.sample), smoothingMs: Number(opts.smoothing) }
      : { enabled: false },
  });
  const work = (msOfCpu) => {
    const until = performance.now() + msOfCpu;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    return x;
  };
  const srv = http.createServer(async (req, res) => {
    const outcome = await limiter.handle({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, ip: req.socket.remoteAddress, raw: req });
    if (outcome.action === 'respond') {
      res.writeHead(outcome.status, outcome.headers).end(outcome.body);
      return;
    }
    if (outcome.release) res.once('close', () => void outcome.release());
    work(2);
    res.writeHead(200, { ...outcome.headers, 'content-type': 'text/plain' }).end('ok');
  });
  srv.keepAliveTimeout = 30_000;
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  let phase = 'idle';
  process.on('message', (m) => {
    if (m.type === 'phase') phase = m.phase;
  });
  const sampler = setInterval(() => {
    const load = limiter.manager.load;
    process.send?.({
      type: 'sample',
      phase,
      load: load ? load.local : 0,
      factors: load ? { free: load.factorFor(0.5), enterprise: load.factorFor(1.2) } : { free: 1, enterprise: 1 },
    });
  }, 500);
  sampler.unref();
  process.send?.({ type: 'listening', port: srv.address().port });
  process.on('disconnect', () => process.exit(0));
}

// ─── the load generator (its own process) ─────────────────────────────────────

async function loadGenerator(plan) {
  const agents = Object.fromEntries(Object.keys(plan.classes).map((c) => [c, new http.Agent({ keepAlive: true, maxSockets: 512 })]));
  const stats = {};
  const TICK = 5;
  let recording = null;
  let inFlight = 0;
  for (const phase of plan.phases) {
    process.send?.({ type: 'phase', phase: phase.name });
    const rec = Object.fromEntries(Object.keys(plan.classes).map((c) => [c, { sent: 0, ok: 0, shed: 0, latencies: [], all: [] }]));
    const phaseStart = performance.now();
    const recordFrom = phaseStart + phase.settle * 1000;
    const phaseEnd = phaseStart + phase.seconds * 1000;
    // Open loop: each class owes rate × tenants × share × elapsed requests; round-robin over tenants.
    const owed = Object.fromEntries(Object.keys(plan.classes).map((c) => [c, 0]));
    const next = Object.fromEntries(Object.keys(plan.classes).map((c) => [c, 0]));
    let last = phaseStart;
    while (performance.now() < phaseEnd) {
      await new Promise((r) => setTimeout(r, TICK));
      const now = performance.now();
      const dt = (now - last) / 1000;
      last = now;
      recording = now >= recordFrom ? rec : null;
      for (const [name, cls] of Object.entries(plan.classes)) {
        owed[name] += cls.rate * cls.tenants * phase.share[name] * dt;
        while (owed[name] >= 1) {
          owed[name] -= 1;
          const tenant = `${cls.prefix}${next[name]++ % cls.tenants}`;
          const into = recording?.[name];
          if (into) into.sent++;
          if (inFlight >= 4_000) {
            if (into) into.all.push(plan.timeoutMs);
            continue;
          }
          inFlight++;
          const scheduled = now;
          get(agents[name], plan.port, tenant, plan.timeoutMs).then((status) => {
            inFlight--;
            if (!into) return;
            if (status === 200) {
              into.ok++;
              into.latencies.push(performance.now() - scheduled);
            } else if (status === 503 || status === 429) into.shed++;
            // "p99 (all)" counts every answer: shed ones as they came, timeouts and errors as the full timeout.
            into.all.push(status === 0 ? plan.timeoutMs : performance.now() - scheduled);
          });
        }
      }
    }
    // Let the recorded requests finish (or time out) before summarising.
    await new Promise((r) => setTimeout(r, plan.timeoutMs + 200));
    stats[phase.name] = Object.fromEntries(
      Object.entries(rec).map(([name, r]) => {
        const seconds = phase.seconds - phase.settle;
        const q = (xs, p) => {
          const sorted = xs.sort((a, b) => a - b);
          return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : null;
        };
        return [
          name,
          {
            offered: r.sent / seconds,
            sent: r.sent,
            success: r.ok / r.sent,
            shed: r.shed / r.sent,
            failed: (r.sent - r.ok - r.shed) / r.sent,
            p50: q(r.latencies, 0.5),
            p99: q(r.latencies, 0.99),
            p99All: q(r.all, 0.99),
          },
        ];
      }),
    );
  }
  for (const agent of Object.values(agents)) agent.destroy();
  process.send?.({ type: 'done', stats });
  process.on('disconnect', () => process.exit(0));
}

/** One GET as `tenant`; resolves to the status, or 0 on timeout or error (never rejects). */
function get(agent, port, tenant, timeoutMs) {
  return new Promise((done) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/work', agent, headers: { 'x-tenant-id': tenant } }, (res) => {
      res.resume();
      res.once('end', () => {
        clearTimeout(timer);
        done(res.statusCode ?? 0);
      });
    });
    const timer = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    req.once('error', () => {
      clearTimeout(timer);
      done(0);
    });
  });
}

// ─── plumbing ─────────────────────────────────────────────────────────────────

/** A child running this file in another role, on the workspace TypeScript sources; stopped by PID. */
async function startChild(roleArgs) {
  const child = spawn(process.execPath, ['--conditions=@aurum/source', '--import', 'tsx', fileURLToPath(import.meta.url), ...roleArgs], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const pid = child.pid;
  const kill = () => {
    try {
      if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    } catch {}
  };
  process.once('exit', kill);
  const inbox = [];
  const listeners = new Set();
  const waiters = new Set();
  child.on('message', (m) => {
    inbox.push(m);
    for (const l of listeners) l(m);
    for (const w of waiters) w();
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    onMessage: (l) => listeners.add(l),
    async next(type, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = inbox.findIndex((m) => m.type === type);
        if (i >= 0) return inbox.splice(i, 1)[0];
        if (child.exitCode !== null) throw new Error(`child ${pid} exited before '${type}'`);
        if (Date.now() > deadline) throw new Error(`child ${pid} sent no '${type}' within ${timeoutMs} ms`);
        await new Promise((r) => {
          const t = setTimeout(r, 100);
          waiters.add(() => {
            clearTimeout(t);
            r();
          });
        });
        waiters.clear();
      }
    },
    send: (m) => child.send(m),
    async stop() {
      kill();
      await exited;
      process.off('exit', kill);
    },
    child,
  };
}

/** Load options of the app under test (with adjustment on). */
function serverArgs() {
  return [
    '--signals',
    args.signals ?? 'eventLoopUtilization,eventLoopDelay',
    '--threshold',
    args.threshold ?? '0.8',
    '--smoothing',
    args.smoothing ?? '500',
    '--sample',
    args.sample ?? '100',
  ];
}

function mean(xs) {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) out[a.slice(2)] = argv[i + 1]?.startsWith('--') || argv[i + 1] === undefined ? 'true' : argv[++i];
  }
  return out;
}
