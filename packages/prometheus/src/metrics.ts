import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metric names: the seed's six, then the ones operators need beyond them. */
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
} as const;

/** Gets a metric already on `registry` (a second observer on one registry), or creates it. */
function ensure<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/** Builds (or finds) every metric on `registry`. `collectWindows` fills the active-windows gauge at scrape time. */
export function createMetrics(registry: Registry, collectWindows: (gauge: Gauge<'tier'>) => void) {
  const registers = [registry];
  return {
    total: ensure(
      registry,
      METRIC_NAMES.total,
      () =>
        new Counter({
          name: METRIC_NAMES.total,
          help: 'Rate limit decisions by result, route pattern, tenant (bounded) and tier',
          labelNames: ['result', 'path', 'tenant', 'tier'] as const,
          registers,
        }),
    ),
    activeWindows: ensure(
      registry,
      METRIC_NAMES.activeWindows,
      () =>
        new Gauge({
          name: METRIC_NAMES.activeWindows,
          help: 'Buckets currently holding state (not yet refilled), by tier, as seen by this process',
          labelNames: ['tier'] as const,
          registers,
          collect() {
            collectWindows(this);
          },
        }),
    ),
    requestsPerWindow: ensure(
      registry,
      METRIC_NAMES.requestsPerWindow,
      () =>
        new Histogram({
          name: METRIC_NAMES.requestsPerWindow,
          help: 'Tokens in use in the bucket after each decision (requests in the current window)',
          labelNames: ['tier'] as const,
          buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
          registers,
        }),
    ),
    blockDuration: ensure(
      registry,
      METRIC_NAMES.blockDuration,
      () =>
        new Histogram({
          name: METRIC_NAMES.blockDuration,
          help: 'Retry-After of refused requests, in seconds',
          labelNames: ['tier'] as const,
          buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
          registers,
        }),
    ),
    circuitState: ensure(
      registry,
      METRIC_NAMES.circuitState,
      () => new Gauge({ name: METRIC_NAMES.circuitState, help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open', registers }),
    ),
    cacheFailures: ensure(
      registry,
      METRIC_NAMES.cacheFailures,
      () =>
        new Counter({
          name: METRIC_NAMES.cacheFailures,
          help: 'Failed calls to the shared store (Redis), by operation and kind',
          labelNames: ['operation', 'kind'] as const,
          registers,
        }),
    ),
    decisionDuration: ensure(
      registry,
      METRIC_NAMES.decisionDuration,
      () =>
        new Histogram({
          name: METRIC_NAMES.decisionDuration,
          help: 'Time to decide, by the store that answered',
          labelNames: ['source'] as const,
          buckets: [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
          registers,
        }),
    ),
    decisionsBySource: ensure(
      registry,
      METRIC_NAMES.decisionsBySource,
      () =>
        new Counter({
          name: METRIC_NAMES.decisionsBySource,
          help: 'Decisions by the store that answered: primary, fallback, blocked-cache, fail-open',
          labelNames: ['source'] as const,
          registers,
        }),
    ),
    loadFactor: ensure(
      registry,
      METRIC_NAMES.loadFactor,
      () =>
        new Gauge({
          name: METRIC_NAMES.loadFactor,
          help: 'Rate multiplier applied for load at the latest decision, by tier (1 = none)',
          labelNames: ['tier'] as const,
          registers,
        }),
    ),
    systemLoad: ensure(
      registry,
      METRIC_NAMES.systemLoad,
      () => new Gauge({ name: METRIC_NAMES.systemLoad, help: 'Latest sampled load signal in [0, 1]', registers }),
    ),
    concurrency: ensure(
      registry,
      METRIC_NAMES.concurrency,
      () =>
        new Counter({
          name: METRIC_NAMES.concurrency,
          help: 'Concurrency slot attempts by result and tier',
          labelNames: ['result', 'tier'] as const,
          registers,
        }),
    ),
  };
}

export type AurumMetrics = ReturnType<typeof createMetrics>;
