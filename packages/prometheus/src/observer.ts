import {
  CIRCUIT_STATE_VALUE,
  type CircuitStateChange,
  type ConcurrencyEvent,
  type DecisionEvent,
  type LoadEvent,
  type LookupFailure,
  type RateLimitObserver,
  TIERS,
} from '@aurum/ratelimit-core';
import { type Clock, type StoreFailure, systemClock, systemTimers, type Timers, unref } from '@aurum/ratelimit-core/store';
import { type Gauge, type Registry, register } from 'prom-client';
import { LabelLimiter } from './label-limiter.js';
import { type AurumMetrics, createMetrics } from './metrics.js';
import { SEP } from './tally.js';

/** Options of {@link createPrometheusObserver}. */
export interface PrometheusObserverOptions {
  /** Where to register. @default prom-client's global registry */
  registry?: Registry;
  /**
   * The `tenant` label: tenants listed in `allow` always get their own value; beyond them the
   * first `max` tenants seen `promoteAfter` times do (heavy hitters); everyone else is `other`.
   * @default { max: 100, promoteAfter: 50 }
   */
  tenantLabel?: { max?: number; promoteAfter?: number; allow?: readonly string[] };
  /** Most distinct `path` label values; route patterns beyond it are `other`. @default 200 */
  maxPaths?: number;
  /** Wall clock for bucket windows (injected in tests, like the manager's). @default Date.now */
  clock?: Clock;
  /** Timers refreshing the coarse clock (injected in tests). @default the globals */
  timers?: Timers;
}

/** A {@link RateLimitObserver} that also exposes its metrics and registry. */
export interface PrometheusObserver extends RateLimitObserver {
  readonly registry: Registry;
  readonly metrics: AurumMetrics;
}

const MAX_WINDOWS = 100_000;
const COARSE_MS = 250;

/**
 * Prometheus metrics for a manager: pass it as `observer`. Label cardinality is bounded whatever
 * tenants and paths clients send, and a decision costs a few Map lookups (see tally.ts).
 *
 * @example
 * const observer = createPrometheusObserver();
 * app.use(createRateLimitMiddleware({ observer }));
 * app.get('/metrics', async (_req, res) => res.type(register.contentType).send(await register.metrics()));
 */
export function createPrometheusObserver(options: PrometheusObserverOptions = {}): PrometheusObserver {
  const registry = options.registry ?? register;
  const tl = options.tenantLabel;
  const tenants = new LabelLimiter({ max: tl?.max ?? 100, promoteAfter: tl?.promoteAfter ?? 50, ...(tl?.allow && { allow: tl.allow }) });
  const paths = new LabelLimiter({ max: options.maxPaths ?? 200, promoteAfter: 1 });
  // Per tier: bucket → when its window ends (epoch ms); counted at scrape time.
  const windows = new Map(TIERS.map((t) => [t as string, new Map<string, number>()]));
  let tracked = 0;
  // Wall time refreshed every COARSE_MS by one unref'd timer: a clock read per decision costs
  // more than the metric update.
  const wall = options.clock ?? systemClock;
  const clock = { now: wall.now() };
  unref(
    (options.timers ?? systemTimers).setInterval(() => {
      clock.now = wall.now();
    }, COARSE_MS),
  );
  const collectWindows = (gauge: Gauge<'tier'>) => {
    const now = wall.now();
    clock.now = now;
    tracked = 0;
    for (const [tier, map] of windows) {
      // Window ends were computed on the coarse clock: allow its granularity before dropping one.
      for (const [key, until] of map) if (until + COARSE_MS <= now) map.delete(key);
      tracked += map.size;
      gauge.set({ tier }, map.size);
    }
  };
  const metrics = createMetrics(registry, collectWindows);
  metrics.circuitState.set(0);

  return {
    registry,
    metrics,
    onDecision(e: DecisionEvent) {
      const tier = e.tier;
      const result = e.allowed ? (e.exceeded ? 'shadow_limited' : 'allowed') : e.reason === 'load_shed' ? 'shed' : 'limited';
      metrics.total.inc(result, paths.label(e.route), tenants.label(e.tenantId), tier);
      metrics.requestsPerWindow.observe(tier, e.limit - e.remaining);
      if (!e.allowed) metrics.blockDuration.observe(tier, e.retryAfterMs / 1000);
      if (e.durationMs !== undefined) metrics.decisionDuration.observe(e.source, e.durationMs / 1000);
      metrics.decisionsBySource.inc(e.source);
      metrics.loadFactor.set(tier, e.loadFactor);
      // A window's end moves only forward; rewriting it at most every COARSE_MS keeps this a
      // single Map read on most decisions.
      // Tiers of your own appear with their first decision (the default four from the start).
      let map = windows.get(tier);
      if (map === undefined) {
        map = new Map();
        windows.set(tier, map);
      }
      const key = e.bucket === 'default' ? e.tenantId : e.tenantId + SEP + e.bucket;
      const until = clock.now + e.resetAfterMs;
      const previous = map.get(key);
      if (previous === undefined) {
        if (tracked < MAX_WINDOWS) {
          map.set(key, until);
          tracked++;
        }
      } else if (until - previous > COARSE_MS) {
        map.set(key, until);
      }
    },
    onConcurrency(e: ConcurrencyEvent) {
      metrics.concurrency.inc((e.allowed ? 'allowed' : 'limited') + SEP + e.tier);
    },
    onCircuitStateChange(change: CircuitStateChange) {
      metrics.circuitState.set(CIRCUIT_STATE_VALUE[change.to]);
    },
    onLookupFailure(failure: LookupFailure) {
      metrics.lookupFailures.labels(failure.lookup, failure.reason).inc();
    },
    onStoreFailure(failure: StoreFailure & { store: string }) {
      metrics.cacheFailures.labels(failure.operation, failure.timedOut ? 'timeout' : 'error').inc();
    },
    onLoad(load: number, detail?: LoadEvent) {
      metrics.systemLoad.set(load);
      // Every sample, not only on decisions: a tier with no traffic right now still shows its factor.
      if (detail) for (const [tier, factor] of Object.entries(detail.factors)) metrics.loadFactor.set(tier, factor);
    },
  };
}
