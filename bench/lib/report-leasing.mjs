// Suite 6 (quota leasing, issue 13) in the report: targets, charts and the Markdown section.
import { barChart, compact, lineChart } from './svg.mjs';

const int = (v) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const us = (v) => (!Number.isFinite(v) ? 'n/a' : v >= 10_000 ? `${(v / 1000).toFixed(0)} ms` : `${v.toFixed(v >= 1000 ? 0 : 1)} µs`);
/** Who decided, by share: `lease 66 %, primary 34 %`. */
const decidedBy = (v) =>
  Object.entries(v.sources)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${pct(n / Math.max(1, v.decisions), 0)}`)
    .join(', ');
const pct = (v, d = 1) => (Number.isFinite(v) ? `${(v * 100).toFixed(d)} %` : 'n/a');
const excessOf = (v) => Math.max(v.whole.excess, v.window.excess, v.anyInterval.excess);
/** Over-admission in whole tokens: the bound is a real number, an admission a whole one. */
const overAdmitted = (v) => Math.max(0, Math.ceil(excessOf(v) - 1e-9));

export function leasingVariants(suite) {
  const ok = suite.variants.filter((v) => !v.error);
  const find = (id) => ok.find((v) => v.id === id);
  return { ok, find, memory: find('memory'), failed: suite.variants.filter((v) => v.error) };
}

/** The issue-13 targets, our figure beside leasing off (the "peer" here) from the same run. */
export function leasingTargets(suite) {
  const out = [];
  if (!suite || suite.error) return out;
  const { ok, find, memory, failed } = leasingVariants(suite);
  const redis = ok.filter((v) => v.store === 'redis');
  const leased = redis.filter((v) => v.leasing && !v.kill);
  const leasedMissing = failed.filter((v) => v.leasing).length > 0 && leased.length === 0;
  if (redis.length) {
    const leasedAll = redis.filter((v) => v.leasing);
    const offs = redis.filter((v) => !v.leasing);
    const worstOff = offs.length ? offs.reduce((a, b) => (excessOf(b) > excessOf(a) ? b : a)) : undefined;
    const fallbackNote = (v) => (v.sources.fallback ? ` (${pct(v.sources.fallback / v.decisions, 0)} decided by the memory fallback)` : '');
    out.push({
      target: 'Leasing: no over-admission — admitted ≤ burst + rate × elapsed over the run, every 1 s window and any interval (merged across 4 processes)',
      ours: leasedAll.length
        ? `leasing on: ${Math.max(...leasedAll.map(overAdmitted))} tokens over, in ${leasedAll.length} variant(s)`
        : 'leasing on: not measured',
      peers: worstOff ? `leasing off: ${overAdmitted(worstOff)} tokens over at worst (${worstOff.load}×${fallbackNote(worstOff)})` : '—',
      met: leasedAll.length ? leasedAll.every((v) => overAdmitted(v) === 0) : undefined,
    });
  }
  const on1 = find('on-1x');
  const off1 = find('off-1x');
  if (off1)
    out.push({
      target: 'Leasing at 1× its rate: admitted ≥ 97 % of the unleased run',
      ours: on1 ? `${pct(on1.admitted / off1.admitted)} (${int(on1.admitted)} vs ${int(off1.admitted)})` : 'not measured',
      peers: `leasing off: ${int(off1.admitted)} admitted of ${int(off1.decisions)}`,
      met: on1 ? on1.admitted >= 0.97 * off1.admitted : undefined,
    });
  if (redis.length) {
    const offs = redis.filter((v) => !v.leasing && v.redis);
    out.push({
      target: 'Leasing on: Redis commands per admitted request ≤ 0.05',
      ours: leased.length ? leased.map((v) => `${v.load}× ${v.redis.commandsPerAdmitted.toFixed(3)}`).join(', ') : leasedMissing ? 'not measured' : '—',
      peers: `leasing off: ${offs.map((v) => `${v.load}× ${v.redis.commandsPerAdmitted.toFixed(2)}`).join(', ')}`,
      met: leased.length ? leased.every((v) => v.redis.commandsPerAdmitted <= 0.05) : undefined,
    });
    if (memory)
      out.push({
        target: 'Leasing on: decision p99 within 2× of the memory store’s',
        ours: leased.length ? leased.map((v) => `${v.load}× ${us(v.latency.p99us)}`).join(', ') : 'not measured',
        peers: `memory store ${us(memory.latency.p99us)}; leasing off: ${offs.map((v) => `${v.load}× ${us(v.latency.p99us)}`).join(', ')}`,
        met: leased.length ? leased.every((v) => v.latency.p99us <= 2 * memory.latency.p99us) : undefined,
      });
  }
  const kill = find('kill');
  if (kill?.killed) {
    const k = kill.killed;
    const reserve = suite.config.rate * (suite.config.leaseLifeMs / 1000);
    out.push({
      target: 'kill -9 of a leased instance: the lease it dies with costs at most what the bucket refills in one lease life (rate × L), and the bound holds',
      ours: `${int(k.lostTokens)} tokens lost (reserve ${int(reserve)}); max excess ${Math.max(0, overAdmitted(kill))}; measured: level back to pre-kill + lost after ${Number.isFinite(k.backToLevelMs) ? `${k.backToLevelMs.toFixed(0)} ms` : 'n/a'} while the survivors kept spending (L = ${suite.config.leaseLifeMs} ms)`,
      peers: '— (unleased: nothing is held)',
      met: k.lostTokens <= reserve && overAdmitted(kill) === 0,
    });
  }
  return out;
}

export function leasingCharts(suite, save) {
  if (!suite || suite.error) return;
  const { ok } = leasingVariants(suite);
  const redis = ok.filter((v) => v.store === 'redis');
  if (redis.length === 0) return;
  const c = suite.config;
  save(
    'leasing-admitted',
    lineChart({
      title: `Hot tenant (${compact(c.rate)}/s, burst ${compact(c.burst)}): admitted per second, 4 processes on one Redis`,
      unit: 'decisions admitted in each second of the run, merged across processes; dashed lines: leasing off',
      xLabel: 'second of the run',
      series: redis.map((v) => ({
        label: `${v.load}× offered, leasing ${v.leasing ? 'on' : 'off'}${v.kill ? ', one instance kill -9’d' : ''} (offered ${compact(v.offeredPerSec)}/s)`,
        points: v.perSecond.map((n, i) => [i + 1, n]),
        dashed: !v.leasing,
      })),
      references: [
        { value: c.burst + c.rate, label: `bound over any 1 s: burst + rate = ${compact(c.burst + c.rate)}` },
        { value: c.rate, label: `rate ${compact(c.rate)}/s (the long-run bound)` },
      ],
    }),
  );
  save(
    'leasing-commands',
    barChart({
      title: 'Hot tenant: Redis commands per admitted request',
      unit: 'INFO commandstats delta / admitted (scripts count their inner calls)',
      bars: redis
        .filter((v) => v.redis && !v.kill)
        .map((v) => ({ label: `${v.load}×, leasing ${v.leasing ? 'on' : 'off'}`, value: v.redis.commandsPerAdmitted, kind: v.leasing ? 'ours' : 'reference' })),
      target: { value: 0.05, label: 'target with leasing: 0.05' },
      lowerIsBetter: true,
      format: (v) => v.toFixed(3),
    }),
  );
}

export function leasingMarkdown(suite, { p, table, img }) {
  if (!suite) return;
  if (suite.error) return;
  const c = suite.config;
  const { ok, find, memory, failed } = leasingVariants(suite);
  p(
    '## 6. Hot tenant: quota leasing (issue 13)',
    `One tenant with an override of ${int(c.rate)} tokens/s, burst ${int(c.burst)}, offered ${c.loads.map((l) => `${l}×`).join(', ')} its rate by ${c.processes} OS processes — each an instance with its own \`RateLimitManager\` and \`RedisStore\` on one private redis-server — for ${c.durationMs / 1000} s, leasing off and on (the defaults: lease life L = min(maxLeaseMs, burstShare × burst / rate) = ${c.leaseLifeMs} ms, reserved burst ${int(c.reservedBurst)}). ` +
      `Store timeout ${c.storeTimeoutMs ?? 100} ms${c.storeTimeoutMs ? ' (not the default 100 ms: on this shared machine CPU starvation otherwise times calls out and the memory fallback, which does not share the bucket, decides — that run is kept in `bench/results/leasing-storetimeout-100ms.json`)' : ''}, \`fallbackShare\` ${c.processes}. ` +
      `Each process paces an open loop (a 1 ms timer issues the calls due since the start; more than ${c.maxLagMs} ms behind, the excess is dropped and not offered) of \`checkRateLimit\` calls — no HTTP — and records every decision: start, latency, outcome, source. ` +
      'A call answered without I/O is timed before the next call is made; a call waiting on Redis when it settles. Times are CLOCK_MONOTONIC, one clock for all processes. ' +
      '**Bound**: admitted ≤ burst + rate × elapsed. Over the whole run it is counted exactly as the 4-process exactness test (`packages/store-redis/test/atomicity.int.test.ts`) counts: every decision was made within [first send, last answer] of the processes; over every 1 s window and any interval of answer times, the window is widened by the slowest admitted answer. "Max excess" is admitted − bound at its worst (negative: room left; over-admission would be > 0). ' +
      'Redis commands and CPU: `INFO commandstats` / `INFO cpu` deltas from after set-up to after every instance closed (so returning leases counts). Memory reference: the same tenant on the memory store, one process offering the whole rate.',
  );
  if (suite.meta)
    p(
      `Measured separately from the suites above: \`${suite.meta.command}\` on ${suite.meta.date}, Node ${suite.meta.node}, code ${suite.meta.git}, dist hash ${suite.meta.distHash}, load average ${suite.meta.load} (shared 2-core machine).`,
    );
  if (failed.length) p(`Not measured: ${failed.map((v) => `**${v.label}** — \`${v.error}\``).join('; ')}.`);
  const off1 = find('off-1x');
  const rows = ok.filter((v) => !v.kill);
  p(
    table(
      [
        'variant',
        'offered/s (target)',
        'admitted',
        'bound (run)',
        'max excess: run / 1 s / any',
        'admitted vs unleased',
        'decided by',
        'Redis cmds/admitted',
        'Redis CPU/decision',
        'client CPU/decision',
        'p50',
        'p99',
        'p50 / p99, source lease',
      ],
      rows.map((v) => {
        const offSame = ok.find((x) => x.store === 'redis' && !x.leasing && x.load === v.load);
        return [
          v.leasing ? `**${v.label}**` : v.label,
          `${int(v.offeredPerSec)} (${int(v.offeredTargetPerSec)})${v.dropped ? `, ${int(v.dropped)} dropped` : ''}`,
          int(v.admitted),
          int(v.whole.bound),
          `${v.whole.excess.toFixed(0)} / ${v.window.excess.toFixed(0)} / ${v.anyInterval.excess.toFixed(0)}`,
          v.leasing && offSame ? pct(v.admitted / offSame.admitted) : '',
          decidedBy(v),
          v.redis ? v.redis.commandsPerAdmitted.toFixed(3) : '—',
          v.redis ? us(v.redis.cpuUsPerDecision) : '—',
          us(v.clientCpuUsPerDecision),
          us(v.latency.p50us),
          us(v.latency.p99us),
          v.leaseLatency ? `${us(v.leaseLatency.p50us)} / ${us(v.leaseLatency.p99us)}` : '—',
        ];
      }),
      [':--', '--:', '--:', '--:', '--:', '--:', ':--', '--:', '--:', '--:', '--:', '--:', '--:'],
    ),
  );
  if (off1 && memory)
    p(
      `Latency reference: the memory store in one process, p50 ${us(memory.latency.p50us)}, p99 ${us(memory.latency.p99us)}. ` +
        'Offered below target means the processes could not keep pace on this shared 2-core machine: the figure is what was actually decided, "dropped" what the generator could not issue within its lag limit. "fallback" in "decided by": calls that timed out and were decided by the instance’s memory fallback, which does not share the Redis bucket — admissions it makes are outside the bound. ' +
        '"tokens taken" far above "spent from leases" (next table) means batches arrived too late to be spent: a batch may only be spent until one lease life after the request that asked for it.',
    );
  const leasedRows = ok.filter((v) => v.leasing && v.store === 'redis');
  if (leasedRows.length)
    p(
      table(
        ['variant', 'takes', 'tokens taken', 'spent from leases', 'refunded', 'taken − spent − refunded'],
        leasedRows.map((v) => {
          const sum = (f) => v.leases.reduce((n, l) => n + l[f], 0);
          return [v.label, int(sum('takes')), int(sum('taken')), int(sum('spent')), int(sum('refunded')), v.leases.map((l) => int(l.unaccounted)).join(' / ')];
        }),
        [':--', '--:', '--:', '--:', '--:', '--:'],
      ),
    );
  const kill = find('kill');
  if (kill?.killed) {
    const k = kill.killed;
    p(
      '### kill -9 of one leased instance',
      `At ${(k.atMs / 1000).toFixed(1)} s one of the four instances (1× offered) was sent SIGKILL by the parent. It had taken ${int(k.taken)} tokens in ${int(k.takes)} takes, spent ${int(k.spent)} and had ${int(k.refunded)} refunded (as of its last flush, ${k.lastFlushBeforeKillMs.toFixed(1)} ms before the kill; it flushes after every tick and every take, so only the decisions of an unfinished tick can be missing). ` +
        `**Lost with it: ${int(k.lostTokens)} tokens** — taken (its last take was sent ${Number.isFinite(k.leaseAgeAtKillMs) ? `${k.leaseAgeAtKillMs.toFixed(0)} ms before the kill` : 'n/a'}) and never spent nor acknowledged as refunded (a refund in flight counts as lost); no instance can spend them, and the reserve (rate × L = ${int(c.rate * (c.leaseLifeMs / 1000))} tokens) already covered them. ` +
        `Bucket level (inspected every ${c.levelEveryMs} ms with the reserved policy, cap ${int(c.reservedBurst)}): ${int(k.levelBefore)} before the kill (median of the last 0.5 s), ${int(k.levelAtKill)} at the kill, ${int(k.levelAfterLeaseLife)} one lease life later, ${int(k.levelAfter2LeaseLives)} two later; the lost tokens were back (level ≥ pre-kill level + lost = ${int(k.levelGoal)}, or full) ${Number.isFinite(k.backToLevelMs) ? `${k.backToLevelMs.toFixed(0)} ms` : 'n/a'} after the kill, while the three survivors kept spending. ` +
        (k.beforeKill
          ? `Before the kill (the first ${(k.atMs / 1000).toFixed(0)} s of this run): ${int(k.beforeKill.admitted)} admitted, ${k.beforeKill.commandsPerAdmitted.toFixed(3)} Redis commands per admitted request${k.beforeKill.probeCommands !== undefined ? ` (the level probe’s ${int(k.beforeKill.probeCommands)} commands taken out)` : ''} and ${us(k.beforeKill.cpuUsPerAdmitted)} of Redis CPU per admitted request (probe included). `
          : '') +
        `The bound held through the kill: max excess ${kill.whole.excess.toFixed(0)} (run) / ${kill.window.excess.toFixed(0)} (1 s) / ${kill.anyInterval.excess.toFixed(0)} (any interval). Its Redis figures include the level probe, so it is left out of the table above.`,
    );
  }
  p(img('leasing-admitted', 'Admitted per second, per variant, vs the bound'), img('leasing-commands', 'Redis commands per admitted request'));
}
