export { LabelLimiter, type LabelLimiterOptions, OTHER } from './label-limiter.js';
export { type AurumMetrics, createMetrics, METRIC_NAMES } from './metrics.js';
export { createPrometheusObserver, type PrometheusObserver, type PrometheusObserverOptions } from './observer.js';
