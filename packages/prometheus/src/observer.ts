import {
  CIRCUIT_STATE_VALUE,
  type CircuitStateChange,
  type ConcurrencyEvent,
  type DecisionEvent,
  type RateLimitObserver,
  type StoreFailure,
  TIERS,
} from '@aurum/ratelimit-core';
import { type Gauge, type Registry, register } from 'prom-client';
import { LabelLimiter } from './label-limiter.js';
import { type AurumMetrics, createMetrics } from './metrics.js';

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
}

/** A {@link RateLimitObserver} that also exposes its metrics and registry. */
export interface PrometheusObserver extends RateLimitObserver {
  readonly registry: Registry;
  readonly metrics: AurumMetrics;
}

const RESULT = { allowed: 'allowed', limited: 'limited', shed: 'shed', shadow: 'shadow_limited' } as const;

/**
 * Prometheus metrics for a manager: pass it as `observer`. Label cardinality is bounded whatever
 * tenants and paths clients send.
 *
 * @example
 * const observer = createPrometheusObserver();
 * app.use(createRateLimitMiddleware({ observer }));
 * app.get('/metrics', async (_req, res) => res.type(register.contentType).send(await register.metrics()));
 */
export function createPrometheusObserver(options: PrometheusObserverOptions = {}): PrometheusObserver {
  const registry = options.registry ?? register;
  const tenants = new LabelLimiter({
    max: options.tenantLabel?.max ?? 100,
    promoteAfter: options.tenantLabel?.promoteAfter ?? 50,
    ...(options.tenantLabel?.allow && { allow: options.tenantLabel.allow }),
  });
  const paths = new LabelLimiter({ max: options.maxPaths ?? 200, promoteAfter: 1 });
  // Bucket → (tier, when its window ends); read at scrape time for the active-windows gauge.
  const windows = new Map<string, { tier: string; until: number }>();
  const collectWindows = (gauge: Gauge<'tier'>) => {
    const now = Date.now();
    const counts: Record<string, number> = Object.fromEntries(TIERS.map((t) => [t, 0]));
    for (const [key, w] of windows) {
      if (w.until <= now) windows.delete(key);
      else counts[w.tier] = (counts[w.tier] ?? 0) + 1;
    }
    for (const [tier, n] of Object.entries(counts)) gauge.set({ tier }, n);
  };
  const metrics = createMetrics(registry, collectWindows);
  metrics.circuitState.set(0);

  return {
    registry,
    metrics,
    onDecision(e: DecisionEvent) {
      const result = e.allowed ? (e.exceeded ? RESULT.shadow : RESULT.allowed) : e.reason === 'load_shed' ? RESULT.shed : RESULT.limited;
      metrics.total.labels(result, paths.label(e.path), tenants.label(e.tenantId), e.tier).inc();
      metrics.requestsPerWindow.labels(e.tier).observe(e.limit - e.remaining);
      if (!e.allowed) metrics.blockDuration.labels(e.tier).observe(e.retryAfterMs / 1000);
      metrics.decisionDuration.labels(e.source).observe(e.durationMs / 1000);
      metrics.decisionsBySource.labels(e.source).inc();
      metrics.loadFactor.labels(e.tier).set(e.loadFactor);
      const key = `${e.tenantId}\u0000${e.bucket}`;
      if (e.resetAfterMs > 0) {
        if (windows.size < 100_000 || windows.has(key)) windows.set(key, { tier: e.tier, until: Date.now() + e.resetAfterMs });
      } else {
        windows.delete(key);
      }
    },
    onConcurrency(e: ConcurrencyEvent) {
      metrics.concurrency.labels(e.allowed ? 'allowed' : 'limited', e.tier).inc();
    },
    onCircuitStateChange(change: CircuitStateChange) {
      metrics.circuitState.set(CIRCUIT_STATE_VALUE[change.to]);
    },
    onStoreFailure(failure: StoreFailure & { store: string }) {
      metrics.cacheFailures.labels(failure.operation, failure.timedOut ? 'timeout' : 'error').inc();
    },
    onLoad(load: number) {
      metrics.systemLoad.set(load);
    },
  };
}
