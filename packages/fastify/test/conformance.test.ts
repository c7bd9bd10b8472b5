import { createRedisStoreFromUrl } from '@aurum/ratelimit-redis';
import { describeAdapterConformance, useRedisStores } from '@aurum/ratelimit-testkit';
import fastify from 'fastify';
import fastify4 from 'fastify4';
import { type FastifyFactory, startFastifyApp } from './app.js';

const redis = useRedisStores(async (url, clock, keyPrefix) => {
  const store = createRedisStoreFromUrl(url, { clock, keyPrefix, fleet: false });
  await store.waitForConnection();
  return store;
});

const v5 = fastify as FastifyFactory;
const v4 = fastify4 as FastifyFactory;

describeAdapterConformance({ name: 'Fastify 5, memory store', start: (options, variant) => startFastifyApp(v5, options, variant) });
describeAdapterConformance({ name: 'Fastify 4, memory store', start: (options, variant) => startFastifyApp(v4, options, variant) });
describeAdapterConformance({
  name: 'Fastify 5, Redis store',
  start: (options, variant) => startFastifyApp(v5, options, variant),
  createStore: redis.createStore,
});
describeAdapterConformance({
  name: 'Fastify 4, Redis store',
  start: (options, variant) => startFastifyApp(v4, options, variant),
  createStore: redis.createStore,
});
