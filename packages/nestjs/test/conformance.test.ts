import { createRedisStoreFromUrl } from '@aurum/ratelimit-redis';
import { describeAdapterConformance, useRedisStores } from '@aurum/ratelimit-testkit';
import { startConformanceApp } from './app.js';

const redis = useRedisStores(async (url, clock, keyPrefix) => {
  const store = createRedisStoreFromUrl(url, { clock, keyPrefix, fleet: false });
  await store.waitForConnection();
  return store;
});

describeAdapterConformance({ name: 'NestJS on Express, memory store', start: (options, variant) => startConformanceApp('express', options, variant) });
describeAdapterConformance({ name: 'NestJS on Fastify, memory store', start: (options, variant) => startConformanceApp('fastify', options, variant) });
describeAdapterConformance({
  name: 'NestJS on Express, Redis store',
  start: (options, variant) => startConformanceApp('express', options, variant),
  createStore: redis.createStore,
});
describeAdapterConformance({
  name: 'NestJS on Fastify, Redis store',
  start: (options, variant) => startConformanceApp('fastify', options, variant),
  createStore: redis.createStore,
});
