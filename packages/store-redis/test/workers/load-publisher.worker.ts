/**
 * Fleet-load worker: a manager on its own RedisStore and connection whose process is really
 * busy (the event loop spins in 20 ms slices), measured by the default event-loop utilisation
 * signal, publishing to the fleet when told to. Reports its health on request.
 */
import { createRateLimitManager } from '@aurum/ratelimit-core';
import { Redis } from 'ioredis';
import { LIMITER_CLIENT_OPTIONS, RedisStore } from '../../src/index.js';
import { config, guard, receive, send } from './worker-runtime.js';

export interface LoadPublisherConfig {
  url: string;
  keyPrefix: string;
  fleet: boolean;
  sampleIntervalMs: number;
  threshold: number;
}

guard(40_000);
const cfg = config<LoadPublisherConfig>();
const client = new Redis(cfg.url, LIMITER_CLIENT_OPTIONS);
const store = new RedisStore({ client, keyPrefix: cfg.keyPrefix, fleet: { pollIntervalMs: 250 }, ownsClient: true });
await store.waitForConnection();
const manager = createRateLimitManager({
  env: false,
  store,
  load: { fleet: cfg.fleet, sampleIntervalMs: cfg.sampleIntervalMs, smoothingMs: 0, threshold: cfg.threshold },
});
await manager.ready;

let busy = true;
const spin = () => {
  if (!busy) return;
  const until = performance.now() + 20;
  while (performance.now() < until);
  setImmediate(spin);
};
spin();

send({ type: 'ready' });
process.on('message', async (message: { type?: string }) => {
  if (message.type === 'health') send({ type: 'health', health: await manager.health() });
});
await receive('stop');
busy = false;
await manager.close();
send({ type: 'stopped' });
process.disconnect();
