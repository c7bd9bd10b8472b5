// Turns a results object (bench/results/latest.json) into Markdown and SVG charts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { leasingCharts, leasingMarkdown, leasingTargets } from './report-leasing.mjs';
import { barChart, compact } from './svg.mjs';

const fmt = {
  ops: (v) => (Number.isFinite(v) ? `${compact(v)}/s` : 'n/a'),
  us: (v) => (Number.isFinite(v) ? `${v.toFixed(v >= 1000 ? 0 : 1)} µs` : 'n/a'),
  bytes: (v) => (Number.isFinite(v) ? `${v.toFixed(0)} B` : 'n/a'),
  pct: (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)} %` : 'n/a'),
  num: (v, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a'),
};
const signed = (v) => `${v >= 0 ? '+' : '−'}${fmt.us(Math.abs(v))}`;
const yes = (ok) => (ok === undefined ? '—' : ok ? '✅ met' : '❌ missed');
/** Median over rounds of a[r] − b[r]: rounds are interleaved, so each pair shares the machine's state. */
function pairedDelta(a, b) {
  const d = a.runs.map((v, i) => v - b.runs[i]).filter(Number.isFinite);
  const sorted = d.sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
const kindOf = (row) => (row.ours ? 'ours' : row.reference ? 'reference' : 'peer');
const bold = (row, text) => (row.ours ? `**${text}**` : text);

function table(header, rows, align) {
  const a = align ?? header.map((_, i) => (i === 0 ? ':--' : '--:'));
  return [`| ${header.join(' | ')} |`, `| ${a.join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const FRAMEWORK_NAMES = { express: 'Express', fastify: 'Fastify', koa: 'Koa', nestjs: 'NestJS' };
const PEER_NAMES = {
  express: { memory: 'express-rate-limit (MemoryStore)', redis: 'express-rate-limit + rate-limit-redis' },
  fastify: { memory: '@fastify/rate-limit (local store)', redis: '@fastify/rate-limit (Redis)' },
  koa: { memory: 'koa-ratelimit (memory driver)', redis: 'koa-ratelimit (Redis driver)' },
  nestjs: { memory: '@nestjs/throttler (in-memory storage)', redis: '@nestjs/throttler (no Redis storage pinned)' },
};
function httpLabel(row) {
  if (row.variant === 'bare') return `${FRAMEWORK_NAMES[row.framework]}, no limiter`;
  if (row.variant === 'ours') return `Aurum adapter (${row.store})`;
  if (row.variant === 'ours-noconc') return `Aurum adapter, concurrency: false (${row.store})`;
  return PEER_NAMES[row.framework][row.store];
}

const first = (label) => label.split(' ')[0];
const ratio = (a, b) => `${(a / b).toFixed(2)}×`;

/** Every target of issue #12, with our figure and the peers' from the same run. */
export function evaluateTargets(results) {
  const out = [];
  const { memory, redis, http, denied, degraded } = results.suites;
  if (memory && !memory.error) {
    for (const s of memory.scenarios) {
      const ours = s.rows.find((r) => r.id === 'aurum-manager');
      const erl = s.rows.find((r) => r.id === 'erl-memory');
      const peers = s.rows.filter((r) => !r.ours && !r.reference).sort((a, b) => b.opsPerSec - a.opsPerSec);
      if (!ours || !erl) continue;
      out.push({
        target: `Memory, full manager path (async API), ${s.title}: ≥ 1.0× express-rate-limit`,
        ours: `${fmt.ops(ours.opsPerSec)} (${ratio(ours.opsPerSec, erl.opsPerSec)})${ours.capped ? ' (capped run)' : ''}`,
        peers: peers.map((p) => `${first(p.label)} ${fmt.ops(p.opsPerSec)}`).join('; '),
        met: ours.opsPerSec >= erl.opsPerSec,
      });
    }
    const hot = memory.scenarios.find((s) => s.id === 'hot');
    const sync = hot?.rows.find((r) => r.id === 'aurum-manager-sync');
    const bucket = hot?.rows.find((r) => r.id === 'bucket-sync');
    if (sync) {
      out.push({
        target: 'Memory, full manager path, synchronous (checkRateLimitSync), 1 hot key: ≥ 10 M decisions/s',
        ours: fmt.ops(sync.opsPerSec),
        peers: bucket ? `reference sync bucket ${fmt.ops(bucket.opsPerSec)}` : '—',
        met: sync.opsPerSec >= 10e6,
      });
    }
    const peersHeap = memory.heap.filter((r) => !r.ours && !r.reference).sort((a, b) => a.bytesPerKey - b.bytesPerKey);
    const ours = memory.heap.find((r) => r.id === 'aurum-manager');
    if (ours) {
      out.push({
        target: 'Heap per tracked tenant, full manager path: ≤ 150 B',
        ours: fmt.bytes(ours.bytesPerKey),
        peers: peersHeap.map((p) => `${first(p.label)} ${fmt.bytes(p.bytesPerKey)}`).join('; '),
        met: ours.bytesPerKey <= 150,
      });
    }
  }
  if (redis && !redis.error) {
    const cells = redis.cells.filter((c) => c.concurrency === 64 && c.pipelining === false);
    const peers = cells.filter((c) => !c.ours && !c.reference).sort((a, b) => b.opsPerSec - a.opsPerSec);
    const best = peers[0];
    const ours = cells.find((c) => c.id === 'aurum-manager');
    const incr = redis.redisBenchmark?.find((r) => r.clients === 1 && r.pipeline === 1);
    if (ours && best) {
      const cheapest = peers.filter((c) => Number.isFinite(c.redisCpuUsPerOp)).sort((a, b) => a.redisCpuUsPerOp - b.redisCpuUsPerOp)[0];
      const bestP99 = Math.min(...peers.map((c) => c.p99us));
      out.push({
        target: 'Redis, manager + RedisStore, one connection, c = 64: ≥ 2× the best peer',
        ours: `${fmt.ops(ours.opsPerSec)} (${ratio(ours.opsPerSec, best.opsPerSec)})`,
        peers: peers.map((c) => `${first(c.label)} ${fmt.ops(c.opsPerSec)}`).join('; '),
        met: ours.opsPerSec >= 2 * best.opsPerSec,
      });
      if (incr) {
        out.push({
          target: 'Redis, manager + RedisStore, c = 64: ≥ redis-benchmark INCR without pipelining (one connection)',
          ours: fmt.ops(ours.opsPerSec),
          peers: `redis-benchmark -t incr -c 1 -P 1: ${fmt.ops(incr.opsPerSec)}`,
          met: ours.opsPerSec >= incr.opsPerSec,
        });
      }
      if (cheapest) {
        out.push({
          target: 'Redis CPU per decision ≤ 0.5× the best peer’s',
          ours: `${fmt.us(ours.redisCpuUsPerOp)} (${ratio(ours.redisCpuUsPerOp, cheapest.redisCpuUsPerOp)})`,
          peers: peers.map((c) => `${first(c.label)} ${fmt.us(c.redisCpuUsPerOp)}`).join('; '),
          met: ours.redisCpuUsPerOp <= 0.5 * cheapest.redisCpuUsPerOp,
        });
      }
      out.push({
        target: 'Redis, c = 64: p99 no worse than the best peer’s',
        ours: fmt.us(ours.p99us),
        peers: peers.map((c) => `${first(c.label)} ${fmt.us(c.p99us)}`).join('; '),
        met: ours.p99us <= bestP99,
      });
    }
  }
  if (http && !http.error) {
    const find = (framework, variant, store) => http.rows.find((r) => r.framework === framework && r.variant === variant && r.store === store);
    const bare = find('express', 'bare', 'none');
    const ours = find('express', 'ours', 'memory');
    if (bare && ours) {
      const delta = pairedDelta(ours, bare);
      const peer = find('express', 'peer', 'memory');
      out.push({
        target: 'HTTP server CPU, Express middleware (memory) ≤ bare Express + 15 µs/request',
        ours: `${signed(delta)} vs bare (${fmt.us(ours.cpuUsPerReq)} vs ${fmt.us(bare.cpuUsPerReq)})`,
        peers: peer ? `${PEER_NAMES.express.memory} ${signed(pairedDelta(peer, bare))} vs bare (${fmt.us(peer.cpuUsPerReq)})` : '—',
        met: delta <= 15,
      });
    }
    for (const framework of Object.keys(FRAMEWORK_NAMES)) {
      for (const store of ['memory', 'redis']) {
        const ours = find(framework, 'ours', store);
        const peer = find(framework, 'peer', store);
        if (!ours) continue;
        const delta = peer ? pairedDelta(ours, peer) : undefined;
        out.push({
          target: `HTTP server CPU, ${FRAMEWORK_NAMES[framework]} adapter (${store}) ≤ its peer`,
          ours: peer ? `${fmt.us(ours.cpuUsPerReq)} (${signed(delta)} vs peer)` : fmt.us(ours.cpuUsPerReq),
          peers: peer ? `${PEER_NAMES[framework][store]} ${fmt.us(peer.cpuUsPerReq)}` : `${PEER_NAMES[framework][store]}: not measured`,
          met: peer ? delta <= 0 : undefined,
        });
      }
    }
  }
  if (denied && !denied.error) {
    const ours = denied.rows.filter((r) => r.ours);
    const peers = denied.rows.filter((r) => !r.ours && r.commandsPerReq > 0);
    if (ours.length > 0) {
      const worst = Math.max(...ours.map((r) => r.commandsPerReq));
      out.push({
        target: 'Denied traffic on Redis: ≤ 1.7 Redis commands per request',
        ours: ours.map((r) => `${FRAMEWORK_NAMES[r.framework] ?? r.label} ${fmt.num(r.commandsPerReq)}`).join('; '),
        peers: peers.map((r) => `${first(r.label)} ${fmt.num(r.commandsPerReq)}`).join('; '),
        met: worst <= 1.7,
      });
    }
  }
  if (degraded && !degraded.error) {
    const mem = degraded.rows.find((r) => r.mode === 'memory');
    const open = degraded.rows.find((r) => r.mode === 'open');
    if (mem && open) {
      out.push({
        target: 'Degraded: breaker OPEN (memory fallback) within 10 % of the memory store',
        ours: `${fmt.ops(open.opsPerSec)} vs ${fmt.ops(mem.opsPerSec)} (${((open.opsPerSec / mem.opsPerSec - 1) * 100).toFixed(0)} %)`,
        peers: '— (no peer has a breaker with a memory fallback by default)',
        met: open.opsPerSec >= 0.9 * mem.opsPerSec,
      });
    }
  }
  out.push(...leasingTargets(results.suites.leasing));
  return out;
}

/** Writes the SVG charts into `dir`; returns { name: relative path } for linking from Markdown. */
export function writeCharts(results, dir, linkBase) {
  mkdirSync(dir, { recursive: true });
  const charts = {};
  const save = (name, svg) => {
    writeFileSync(join(dir, `${name}.svg`), svg);
    charts[name] = `${linkBase}/${name}.svg`;
  };
  const { memory, redis, http, denied, degraded } = results.suites;
  if (memory && !memory.error) {
    for (const s of memory.scenarios) {
      // Issue #12: the full manager path at or above express-rate-limit in the same run.
      const erl = s.rows.find((r) => r.id === 'erl-memory');
      save(
        `memory-${s.id}`,
        barChart({
          title: `Memory decisions/s, single thread — ${s.title}`,
          unit: 'decisions per second (median of runs, fresh process each)',
          bars: s.rows.map((r) => ({ label: shortLabel(r.label), value: r.opsPerSec, kind: kindOf(r) })),
          target: erl ? { value: erl.opsPerSec, label: 'target: express-rate-limit (full manager path)' } : undefined,
        }),
      );
    }
    save(
      'memory-heap',
      barChart({
        title: 'Heap bytes per tracked key (after forced GC)',
        unit: 'bytes per key (JS heap + ArrayBuffers)',
        bars: memory.heap.map((r) => ({ label: shortLabel(r.label), value: r.bytesPerKey, kind: kindOf(r) })),
        target: { value: 150, label: 'target 150 B (full manager path)' },
        lowerIsBetter: true,
      }),
    );
  }
  if (redis && !redis.error) {
    for (const pipelining of [true, false]) {
      for (const concurrency of [1, 64]) {
        const cells = redis.cells.filter((c) => c.pipelining === pipelining && c.concurrency === concurrency);
        if (cells.length === 0) continue;
        save(
          `redis-c${concurrency}-${pipelining ? 'pipelined' : 'unpipelined'}`,
          barChart({
            title: `Redis decisions/s, one connection, concurrency ${concurrency}, auto-pipelining ${pipelining ? 'on' : 'off'}`,
            unit: 'decisions per second (median of rounds)',
            bars: cells.map((c) => ({ label: shortLabel(c.label), value: c.opsPerSec, kind: kindOf(c), note: `p99 ${fmt.us(c.p99us)}` })),
          }),
        );
      }
    }
  }
  if (http && !http.error) {
    for (const framework of Object.keys(FRAMEWORK_NAMES)) {
      const rows = http.rows.filter((r) => r.framework === framework);
      if (rows.length === 0) continue;
      save(
        `http-cpu-${framework}`,
        barChart({
          title: `${FRAMEWORK_NAMES[framework]}: server CPU per request at ${rows[0].rate} req/s`,
          unit: 'µs of server CPU per request (median of rounds)',
          bars: rows.map((r) => ({
            label: httpLabel(r),
            value: r.cpuUsPerReq,
            kind: r.variant.startsWith('ours') ? 'ours' : r.variant === 'bare' ? 'reference' : 'peer',
          })),
          lowerIsBetter: true,
          format: (v) => `${v.toFixed(1)} µs`,
        }),
      );
    }
  }
  if (denied && !denied.error) {
    save(
      'denied-commands',
      barChart({
        title: `Abusive tenant at 10× its limit: Redis commands per request`,
        unit: 'Redis commands per request (INFO commandstats; scripts count their inner calls)',
        bars: denied.rows.map((r) => ({ label: r.label, value: r.commandsPerReq, kind: kindOf(r) })),
        lowerIsBetter: true,
        format: (v) => v.toFixed(2),
      }),
    );
    save(
      'denied-cpu',
      barChart({
        title: 'Abusive tenant at 10× its limit: server CPU per request',
        unit: 'µs of server CPU per request',
        bars: denied.rows.map((r) => ({ label: r.label, value: r.cpuUsPerReq, kind: kindOf(r) })),
        lowerIsBetter: true,
        format: (v) => `${v.toFixed(1)} µs`,
      }),
    );
  }
  if (degraded && !degraded.error) {
    const mem = degraded.rows.find((r) => r.mode === 'memory');
    save(
      'degraded',
      barChart({
        title: 'Degraded mode: manager decisions/s at concurrency 64',
        unit: 'decisions per second (median of rounds)',
        bars: degraded.rows.map((r) => ({
          label: r.label,
          value: r.opsPerSec,
          kind: r.mode === 'memory' ? 'reference' : 'ours',
          note: `p99 ${fmt.us(r.p99us)}`,
        })),
        target: mem ? { value: mem.opsPerSec * 0.9, label: 'target: OPEN ≥ 90 % of memory' } : undefined,
      }),
    );
  }
  leasingCharts(results.suites.leasing, save);
  return charts;
}

function shortLabel(label) {
  return label.replace(/ \(.*\)$/, '').replace('reference: ', 'ref: ');
}

/** The whole Markdown document. `charts` maps chart names to links (may be empty). */
export function renderMarkdown(results, charts = {}) {
  const { meta, suites } = results;
  const img = (name, alt) => (charts[name] ? `\n![${alt}](${charts[name]})\n` : '');
  const lines = [];
  const p = (...s) => {
    for (const x of s) lines.push(x, '');
  };
  p(
    '# Benchmarks',
    `> Generated by \`${meta.command}\` on ${meta.date} (${meta.quick ? 'QUICK mode: short runs, for CI only — not for comparison' : 'full run'}, ${Math.round(meta.durationSec)} s). ` +
      'Do not edit the figures by hand: re-run the command (or `node bench/report.mjs` to re-render this page and the charts from `bench/results/latest.json`).',
    'Everything runs on one machine over loopback; every peer is measured in the same run, under the same conditions, with limits that never deny unless a scenario says so, so the figures are the cost of *deciding*. Absolute numbers depend on the machine; compare rows, not machines.',
  );
  // Suites taken in from a later run (`report.mjs --merge`) say which: their peers ran beside them there.
  const merged = Object.entries(suites).filter(([, suite]) => suite?.meta);
  if (merged.length > 0) {
    p(
      `Re-run on later code and merged into this page: ${merged
        .map(([name, { meta: m }]) => `${name} (\`${m.command}\` on ${m.date}, code ${String(m.git).split(' ')[0]}, Node ${m.node})`)
        .join('; ')}. Every comparison inside a suite is from one run.`,
    );
  }

  p('## Machine, versions, command');
  p(
    table(
      ['', ''],
      [
        ['Command', `\`${meta.command}\``],
        ['Date', meta.date],
        ['Node.js', meta.node],
        ['OS', meta.os],
        ['CPU', `${meta.cpus} × ${meta.cpuModel}`],
        ['Memory', meta.memory],
        ['Load average (start → end)', `${meta.loadStart} → ${meta.loadEnd} (shared machine: other work may run alongside)`],
        ['Redis', meta.redis],
        ['Code measured', `${meta.git}; dist hash ${meta.distHash}${meta.distChanged ? ` — ⚠️ ${meta.distChanged}` : ''}`],
      ],
      [':--', ':--'],
    ),
  );
  p('Package versions (from `bench/node_modules`):');
  p(
    table(
      ['package', 'version'],
      Object.entries(meta.versions).map(([k, v]) => [`\`${k}\``, v]),
      [':--', ':--'],
    ),
  );

  const targets = evaluateTargets(results);
  p(
    '## Targets (issues #12 and #13)',
    'Each target with our figure and the peers’ from this same run (issue 12’s figures with quota leasing off). Why the missed ones are missed, from CPU profiles, and what would close each: [benchmark notes](benchmark-notes.md).',
  );
  p(
    table(
      ['target', 'Aurum', 'peers (same run)', 'met?'],
      targets.map((t) => [t.target, t.ours, t.peers, yes(t.met)]),
      [':--', ':--', ':--', ':--'],
    ),
  );

  const failed = Object.entries(suites).filter(([, s]) => s?.error);
  if (failed.length) p('## Suites that failed', ...failed.map(([name, s]) => `- **${name}**: \`${String(s.error).split('\n')[0]}\``));

  const { memory } = suites;
  if (memory && !memory.error) {
    const c = memory.config;
    p(
      '## 1. Memory decisions per second (single thread)',
      `Each run is a fresh \`node\` process: ${c.warmMs} ms warm-up, then at least ${compact(c.minDecisions)} decisions and ${c.minMs} ms (capped at ${c.capMs / 1000} s); median of ${c.runs} run(s) per contender, contenders interleaved. ` +
        'Async APIs are awaited one call at a time, as a request handler would. The full manager path runs with tier rules (three patterns), eight overrides, the load factor on (event-loop utilisation) and a route/method; the peers run their own decision call. ' +
        '"All denied": one key over a limit of 1 per 1000 s (rate-limiter-flexible rejects its promise on denial; express-rate-limit and @fastify/rate-limit count and leave the comparison to the caller, which the loop does).',
    );
    for (const s of memory.scenarios) {
      p(`### ${s.title}`);
      p(
        table(
          ['contender', 'decisions/s (median)', 'runs', 'vs sync reference', 'allowed'],
          s.rows.map((r) => {
            const ref = s.rows.find((x) => x.id === 'bucket-sync');
            return [
              bold(r, r.label),
              bold(r, fmt.ops(r.opsPerSec)) + (r.capped ? ' (capped)' : ''),
              r.runs.map((v) => compact(v)).join(', '),
              ref ? `${((r.opsPerSec / ref.opsPerSec) * 100).toFixed(0)} %` : '',
              fmt.pct(r.allowedShare),
            ];
          }),
        ),
      );
      lines.push(img(`memory-${s.id}`, `Memory decisions/s, ${s.title}`));
    }
    p(
      '### Heap per tracked key',
      `${compact(memory.heap[0]?.keys ?? 0)} distinct keys, one decision each, in a fresh process run with \`--expose-gc\`; (heapUsed + arrayBuffers) after four forced GCs, minus the same before, divided by the key count. Key strings are built on the fly, so only the limiter keeps them: they count. ` +
        'Full manager path: it also keeps a tenant context per tenant, bounded by `maxTrackedTenants` (default 10 000).',
    );
    p(
      table(
        ['contender', 'bytes per key'],
        memory.heap.map((r) => [bold(r, r.label), bold(r, fmt.bytes(r.bytesPerKey))]),
      ),
    );
    lines.push(img('memory-heap', 'Heap bytes per key'));
  }

  const { redis } = suites;
  if (redis && !redis.error) {
    const c = redis.config;
    p(
      '## 2. Redis decisions per second and latency (one connection)',
      `redis-server ${redis.redisVersion} on a free loopback port, started for this suite and stopped by PID. Each contender has its own ioredis client (ONE connection, \`enableOfflineQueue: false\`), auto-pipelining on or off; ${c.keys} keys in rotation, huge limits. ` +
        `Rounds of ${c.durationMs} ms, ${c.rounds} round(s) interleaved, medians. Latency is per call, measured by the caller (so at concurrency 64 it includes queueing behind the other 63). ` +
        'Commands per decision and Redis CPU per decision come from `INFO commandstats` / `INFO cpu` deltas (a script counts as its EVALSHA plus every command it calls).',
    );
    for (const pipelining of [true, false]) {
      for (const concurrency of c.concurrencies) {
        const cells = redis.cells.filter((x) => x.pipelining === pipelining && x.concurrency === concurrency);
        p(`### Concurrency ${concurrency}, auto-pipelining ${pipelining ? 'on' : 'off'}`);
        p(
          table(
            ['contender', 'decisions/s', 'p50', 'p99', 'Redis cmds/decision', 'Redis CPU/decision', 'commands per decision'],
            cells.map((x) => [
              bold(x, x.label),
              bold(x, fmt.ops(x.opsPerSec)),
              fmt.us(x.p50us),
              fmt.us(x.p99us),
              fmt.num(x.commandsPerOp),
              fmt.us(x.redisCpuUsPerOp),
              Object.entries(x.commandBreakdown)
                .filter(([, v]) => v >= 0.01)
                .map(([k, v]) => `${k} ${v}`)
                .join(', '),
            ]),
            [':--', '--:', '--:', '--:', '--:', '--:', ':--'],
          ),
        );
        lines.push(img(`redis-c${concurrency}-${pipelining ? 'pipelined' : 'unpipelined'}`, `Redis c=${concurrency}`));
      }
    }
    p('### The server’s own limit: `redis-benchmark -t incr` (same server, same run)');
    p(
      table(
        ['shape', 'INCR/s', 'p50', 'p99'],
        redis.redisBenchmark.map((b) => [
          `${b.clients} connection(s), pipeline ${b.pipeline} (\`-c ${b.clients} -P ${b.pipeline} -n ${b.requests}\`)`,
          fmt.ops(b.opsPerSec),
          fmt.us(b.p50us),
          fmt.us(b.p99us),
        ]),
      ),
    );
  }

  const { http } = suites;
  if (http && !http.error) {
    const c = http.config;
    p(
      '## 3. HTTP cost per request',
      `Headline: **server CPU time per request** — the server runs alone in its own process and reports \`process.cpuUsage()\` (user + system, all threads) over the measured window divided by the requests it served. ` +
        `A paced client in another process offers a **fixed rate per framework** — ${Math.round(c.load * 100)} % of the slowest variant’s warm closed-loop throughput (the "max req/s" column), the same for every variant of that framework, so none is near saturation (${Object.entries(
          http.rates ?? {},
        )
          .map(([f, r]) => `${FRAMEWORK_NAMES[f]} ${r} req/s`)
          .join(
            ', ',
          )}) — over ${c.connections} keep-alive connections, one tenant (\`X-Tenant-ID\`) per connection, requests spread evenly in time (autocannon’s \`overallRate\` fires each second’s quota in a burst, so it is not used). ` +
        `Each server first gets ${c.jitWarmMs} ms of untimed closed-loop traffic (JIT) and a ${c.maxMs} ms closed-loop run for "max req/s"; then ${c.rounds} round(s), variants interleaved A/B/C…, each ${c.warmMs} ms warm-up + ${c.durationMs} ms measured; medians. ` +
        '"vs bare" and "vs peer" are medians of per-round differences (each round measures every variant within seconds, so a pair shares the machine’s state): steadier than a difference of medians. ' +
        'Every limiter is keyed by the tenant header and configured never to deny. One route, `GET /v1/items/:id` → small JSON. ' +
        'Secondary: latency (client-measured) at that rate, and max req/s (client and server share the 2 cores: indicative only). Our adapters run with their defaults: headers on, admin routes on, concurrency slots on (an acquire and a release per request; the `concurrency: false` rows show the split).',
    );
    for (const framework of Object.keys(FRAMEWORK_NAMES)) {
      const rows = http.rows.filter((r) => r.framework === framework);
      if (rows.length === 0) continue;
      const bare = rows.find((r) => r.variant === 'bare');
      const peerOf = (r) => rows.find((x) => x.variant === 'peer' && x.store === r.store);
      p(`### ${FRAMEWORK_NAMES[framework]} (${rows[0].rate} req/s offered)`);
      p(
        table(
          ['variant', 'server CPU/request', 'vs bare', 'vs peer', 'runs by round (µs)', 'req/s held', 'p50', 'p99', 'max req/s'],
          rows.map((r) => [
            r.variant.startsWith('ours') ? `**${httpLabel(r)}**` : httpLabel(r),
            r.variant.startsWith('ours') ? `**${fmt.us(r.cpuUsPerReq)}**` : fmt.us(r.cpuUsPerReq),
            bare && r !== bare ? signed(pairedDelta(r, bare)) : '',
            r.variant.startsWith('ours') && peerOf(r) ? signed(pairedDelta(r, peerOf(r))) : '',
            r.runs.join(', '),
            Math.round(r.rps).toLocaleString('en-US'),
            fmt.us(r.p50us),
            fmt.us(r.p99us),
            Math.round(r.maxRps).toLocaleString('en-US'),
          ]),
        ),
      );
      for (const u of http.unavailable.filter((x) => x.framework === framework)) p(`Not measured: ${PEER_NAMES[framework][u.store]} — ${u.why}.`);
      lines.push(img(`http-cpu-${framework}`, `${FRAMEWORK_NAMES[framework]} server CPU per request`));
    }
  }

  const { denied } = suites;
  if (denied && !denied.error) {
    const c = denied.config;
    p(
      '## 4. Denied traffic: one abusive tenant at 10× its limit (Redis)',
      `Limit ${c.limit} requests/s per tenant (ours: token bucket ${c.limit}/s, burst ${c.limit}; peers: fixed window of ${c.limit} per second); one tenant offers ${c.rate} req/s over ${c.connections} connections. ` +
        `Each contender has its own redis-server, so \`INFO commandstats\` deltas over exactly the server’s measured window (${c.durationMs} ms, after ${c.warmMs} ms that burn the burst) are that contender’s commands only; ${c.rounds} round(s), medians.`,
    );
    p(
      table(
        ['contender', 'server CPU/request', 'Redis cmds/request', 'Redis CPU/request', 'denied', 'p99', 'commands per request'],
        denied.rows.map((r) => [
          bold(r, r.label),
          bold(r, fmt.us(r.cpuUsPerReq)),
          bold(r, fmt.num(r.commandsPerReq)),
          fmt.us(r.redisCpuUsPerReq),
          fmt.pct(r.deniedShare),
          fmt.us(r.p99us),
          Object.entries(r.commandBreakdown)
            .sort((a, b) => b[1] - a[1])
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ]),
        [':--', '--:', '--:', '--:', '--:', '--:', ':--'],
      ),
    );
    lines.push(img('denied-commands', 'Redis commands per request'), img('denied-cpu', 'Server CPU per request'));
  }

  const { degraded } = suites;
  if (degraded && !degraded.error) {
    const c = degraded.config;
    p(
      '## 5. Degraded mode',
      `RateLimitManager with default resilience options (store timeout 100 ms, breaker threshold 5, reset 60 s), concurrency ${c.concurrency}, 1000 tenants, ${c.rounds} round(s) of ${c.durationMs} ms interleaved, medians. ` +
        '"Breaker OPEN": the store points at a closed loopback port and the breaker is opened, so every decision comes from the in-memory fallback (a probe would fail fast). ' +
        '"SIGSTOP": a fresh manager (breaker CLOSED) on a healthy Redis, then redis-server is SIGSTOPped for the window: the first calls time out, the breaker opens, the rest is fallback; SIGCONT after.',
    );
    p(
      table(
        ['mode', 'decisions/s', 'vs memory', 'p50', 'p99', 'max', 'decided by'],
        degraded.rows.map((r) => {
          const mem = degraded.rows.find((x) => x.mode === 'memory');
          return [
            r.label,
            fmt.ops(r.opsPerSec),
            mem ? `${((r.opsPerSec / mem.opsPerSec) * 100).toFixed(0)} %` : '',
            fmt.us(r.p50us),
            fmt.us(r.p99us),
            fmt.us(r.maxUs),
            Object.entries(r.sources)
              .map(([k, v]) => `${k} ${fmt.pct(v)}`)
              .join(', '),
          ];
        }),
        [':--', '--:', '--:', '--:', '--:', '--:', ':--'],
      ),
    );
    lines.push(img('degraded', 'Degraded mode decisions/s'));
  }

  leasingMarkdown(suites.leasing, { p, table, img });

  p(
    '## How to run',
    '```sh\npnpm bench                 # build, then every suite (< 20 min); writes bench/results/latest.json, docs/benchmarks.md, docs/benchmarks/*.svg\npnpm bench:quick           # < 2 min smoke run (CI): bench/results/quick.json; never asserts timings\nnode bench/run.mjs --only memory,redis   # a subset (after a build); suites: memory, redis, http, denied, degraded, leasing\nnode bench/report.mjs      # re-render this page and the charts from bench/results/latest.json\nnode bench/profile.mjs     # --cpu-prof of our hot paths, top functions by self time\n```',
    'Noise: the machine is shared and has 2 cores; every comparison is interleaved in the same run, and the runs column shows the spread. Treat differences under ~5 % (memory) or ~10 µs (HTTP) as noise.',
  );
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

/** Renders Markdown + charts for a results object into `mdFile` and `chartDir`. */
export function writeReport(results, mdFile, chartDir) {
  const charts = writeCharts(results, chartDir, relative(join(mdFile, '..'), chartDir) || '.');
  const md = renderMarkdown(results, charts);
  writeFileSync(mdFile, md);
  return md;
}
