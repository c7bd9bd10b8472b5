// Cost of metrics: manager decisions per second with and without the Prometheus observer, same run.
import { createRateLimitManager } from '@aurum/ratelimit-core';
import { createPrometheusObserver } from '@aurum/ratelimit-prometheus';
import { Registry } from 'prom-client';
import { compare } from './lib/measure.mjs';

const tiers = { free: { requestsPerSecond: 1e6, burstSize: 1e6 } };
const tenants = Array.from({ length: 1000 }, (_, i) => `tenant-${i}`);
const plain = createRateLimitManager({ env: false, load: { enabled: false }, tiers });
const observed = createRateLimitManager({ env: false, load: { enabled: false }, tiers, observer: createPrometheusObserver({ registry: new Registry() }) });

await compare('Manager decisions with and without the Prometheus observer (1000 tenants)', [
  { name: 'checkRateLimit, no observer', op: (i) => plain.checkRateLimit(tenants[i % 1000], '/v1/items') },
  { name: 'checkRateLimit + Prometheus observer', op: (i) => observed.checkRateLimit(tenants[i % 1000], '/v1/items') },
]);
await Promise.all([plain.close(), observed.close()]);
