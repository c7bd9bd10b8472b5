import { createRedisStoreFromUrl } from '@aurum/ratelimit-redis';
import { describeAdapterConformance, useRedisStores } from '@aurum/ratelimit-testkit';
import express from 'express';
import express4 from 'express4';
import { startExpressApp } from './app.js';

const redis = useRedisStores(async (url, clock, keyPrefix) => {
  const store = createRedisStoreFromUrl(url, { clock, keyPrefix, fleet: false });
  await store.waitForConnection();
  return store;
});

describeAdapterConformance({ name: 'Express 5, memory store', start: (options, variant) => startExpressApp(express, options, variant) });
describeAdapterConformance({
  name: 'Express 4, memory store',
  start: (options, variant) => startExpressApp(express4 as unknown as typeof express, options, variant),
});
describeAdapterConformance({
  name: 'Express 5, Redis store',
  start: (options, variant) => startExpressApp(express, options, variant),
  createStore: redis.createStore,
});
describeAdapterConformance({
  name: 'Express 4, Redis store',
  start: (options, variant) => startExpressApp(express4 as unknown as typeof express, options, variant),
  createStore: redis.createStore,
});
