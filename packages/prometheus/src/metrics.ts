import { Counter, Gauge, type Registry } from 'prom-client';
import { TallyCounter, TallyCounter4, TallyGauge, TallyHistogram } from './tally.js';

/** Metric names: the six original ones, then the ones operators need beyond them. */
export const METRIC_NAMES = {
  total: 'aurum_api_tenant_ratelimit_total',
  activeWindows: 'aurum_api_tenant_ratelimit_active_windows',
  requestsPerWindow: 'aurum_api_tenant_ratelimit_requests_per_window',
  blockDuration: 'aurum_api_tenant_ratelimit_block_duration_seconds',
  circuitState: 'aurum_api_tenant_ratelimit_circuit_state',
  cacheFailures: 'aurum_api_tenant_ratelimit_cache_failures_total',
  decisionDuration: 'aurum_api_tenant_ratelimit_decision_duration_seconds',
  decisionsBySource: 'aurum_api_tenant_ratelimit_decisions_by_source_total',
  loadFactor: 'aurum_api_tenant_ratelimit_load_factor',
  systemLoad: 'aurum_api_tenant_ratelimit_system_load',
  concurrency: 'aurum_api_tenant_ratelimit_concurrency_total',
  lookupFailures: 'aurum_api_tenant_ratelimit_lookup_failures_total',
} as const;

/** Gets a metric already on `registry` (a second observer on one registry), or registers a new one. */
function ensure<T>(registry: Registry, name: string, create: () => T, register = true): T {
  const existing = registry.getSingleMetric(name) as unknown as T | undefined;
  if (existing) return existing;
  const metric = create();
  if (register) registry.registerMetric(metric as never);
  return metric;
}

/**
 * Builds (or finds) every metric on `registry`. Per-decision metrics are tallies (see tally.ts);
 * rare events use prom-client directly. `collectWindows` fills the active-windows gauge at scrape.
 */
export function createMetrics(registry: Registry, collectWindows: (gauge: Gauge<'tier'>) => void) {
  const registers = [registry];
  const N = METRIC_NAMES;
  return {
    total: ensure(
      registry,
      N.total,
      () => new TallyCounter4(N.total, 'Rate limit decisions by result, route pattern, tenant (bounded) and tier', ['result', 'path', 'tenant', 'tier']),
    ),
    activeWindows: ensure(
      registry,
      N.activeWindows,
      () =>
        new Gauge({
          name: N.activeWindows,
          help: 'Buckets currently holding state (not yet refilled), by tier, as seen by this process',
          labelNames: ['tier'] as const,
          registers,
          collect() {
            collectWindows(this);
          },
        }),
      false,
    ),
    requestsPerWindow: ensure(
      registry,
      N.requestsPerWindow,
      () =>
        new TallyHistogram(
          N.requestsPerWindow,
          'Tokens in use in the bucket after each decision (requests in the current window)',
          ['tier'],
          [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
        ),
    ),
    blockDuration: ensure(
      registry,
      N.blockDuration,
      () => new TallyHistogram(N.blockDuration, 'Retry-After of refused requests, in seconds', ['tier'], [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60]),
    ),
    circuitState: ensure(
      registry,
      N.circuitState,
      () => new Gauge({ name: N.circuitState, help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open', registers }),
      false,
    ),
    cacheFailures: ensure(
      registry,
      N.cacheFailures,
      () =>
        new Counter({
          name: N.cacheFailures,
          help: 'Failed calls to the shared store (Redis), by operation and kind',
          labelNames: ['operation', 'kind'] as const,
          registers,
        }),
      false,
    ),
    decisionDuration: ensure(
      registry,
      N.decisionDuration,
      () =>
        new TallyHistogram(
          N.decisionDuration,
          'Time to decide, by the store that answered',
          ['source'],
          [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
        ),
    ),
    decisionsBySource: ensure(
      registry,
      N.decisionsBySource,
      () =>
        new TallyCounter(
          N.decisionsBySource,
          "Decisions by the store that answered: primary, fallback, blocked-cache, fail-open, lease (a hot tenant's leased tokens)",
          ['source'],
        ),
    ),
    loadFactor: ensure(
      registry,
      N.loadFactor,
      () => new TallyGauge(N.loadFactor, 'Rate multiplier applied for load at the latest decision, by tier (1 = none)', ['tier']),
    ),
    systemLoad: ensure(registry, N.systemLoad, () => new Gauge({ name: N.systemLoad, help: 'Latest sampled load signal in [0, 1]', registers }), false),
    concurrency: ensure(registry, N.concurrency, () => new TallyCounter(N.concurrency, 'Concurrency slot attempts by result and tier', ['result', 'tier'])),
    lookupFailures: ensure(
      registry,
      N.lookupFailures,
      () =>
        new Counter({
          name: N.lookupFailures,
          help: 'User lookups on the request path (resolveTier, resolveTenant) that threw or missed lookupTimeoutMs, by lookup and reason',
          labelNames: ['lookup', 'reason'] as const,
          registers,
        }),
      false,
    ),
  };
}

export type AurumMetrics = ReturnType<typeof createMetrics>;
