import { createRedisStoreFromUrl } from '@aurum/ratelimit-redis';
import { describeAdapterConformance, useRedisStores } from '@aurum/ratelimit-testkit';
import Koa from 'koa';
import Koa2 from 'koa2';
import { startKoaApp } from './app.js';

const redis = useRedisStores(async (url, clock, keyPrefix) => {
  const store = createRedisStoreFromUrl(url, { clock, keyPrefix, fleet: false });
  await store.waitForConnection();
  return store;
});

describeAdapterConformance({ name: 'Koa 3, memory store', start: (options, variant) => startKoaApp(Koa, options, variant) });
describeAdapterConformance({ name: 'Koa 2, memory store', start: (options, variant) => startKoaApp(Koa2, options, variant) });
describeAdapterConformance({ name: 'Koa 3, Redis store', start: (options, variant) => startKoaApp(Koa, options, variant), createStore: redis.createStore });
describeAdapterConformance({ name: 'Koa 2, Redis store', start: (options, variant) => startKoaApp(Koa2, options, variant), createStore: redis.createStore });
