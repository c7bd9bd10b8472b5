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

describeAdapterConformance({ name: 'Koa 3, memory store', start: (options) => startKoaApp(Koa, options) });
describeAdapterConformance({ name: 'Koa 2, memory store', start: (options) => startKoaApp(Koa2, options) });
describeAdapterConformance({ name: 'Koa 3, Redis store', start: (options) => startKoaApp(Koa, options), createStore: redis.createStore });
describeAdapterConformance({ name: 'Koa 2, Redis store', start: (options) => startKoaApp(Koa2, options), createStore: redis.createStore });
