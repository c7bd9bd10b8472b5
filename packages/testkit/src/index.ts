export { type AdapterConformanceOptions, describeAdapterConformance, type RunningApp } from './adapter-conformance.js';
export { FakeClock } from './fake-clock.js';
export { ManualTimers } from './manual-timers.js';
export { type MetricSample, parseMetrics, type ScrapedMetrics, scrapeMetricsEndpoint } from './metrics-text.js';
export { request, type TestRequest, type TestResponse, waitFor } from './http-client.js';
export { describeStoreConformance, type StoreConformanceOptions } from './store-conformance.js';
export { type ClusterNodeInfo, parseClusterNodes, type RedisCluster, type StartRedisClusterOptions, startRedisCluster } from './redis-cluster.js';
export { freePort, hasRedisServer, type RedisServer, startRedisServer, type StartRedisOptions } from './redis-server.js';
export { type RedisStoreFactory, useRedisStores } from './redis-store-factory.js';
