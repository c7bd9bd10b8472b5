import { aurumRateLimit } from '@aurum/ratelimit-fastify';
import { createPrometheusObserver } from '@aurum/ratelimit-prometheus';
import { createRedisStoreFromUrl } from '@aurum/ratelimit-redis';
import Fastify from 'fastify';
import { Registry } from 'prom-client';

/**
 * Every instance of this app shares its limits through Redis. If Redis dies or hangs, the
 * circuit breaker opens within a few failed calls and each instance limits from memory with
 * 1/instances of every quota, until Redis answers again. Closing the app closes the Redis client.
 * Metrics (decisions, breaker state, Redis failures) are served at /metrics, which is not limited.
 */
export async function createApp({ redisUrl = process.env.AURUM_API_CACHE_REDIS_URL ?? 'redis://127.0.0.1:6379', logger = false, ...options } = {}) {
  const app = Fastify({ logger });
  const store = createRedisStoreFromUrl(redisUrl);
  // Give Redis a moment to connect, but start anyway: while it is down, the fallback limits.
  await store.waitForConnection(2000).catch((err) => app.log.warn({ err }, 'Redis is not ready; limiting from memory until it is'));
  // This app's own registry (use prom-client's global `register` to serve your other metrics too).
  const registry = new Registry();
  await app.register(aurumRateLimit, {
    store,
    fallbackShare: Number(process.env.INSTANCES ?? 1),
    tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }],
    admin: { token: process.env.AURUM_API_RATE_LIMIT_ADMIN_TOKEN ?? 'demo-admin-token' },
    // A tenant gets its own `tenant` label after 5 requests (at most 100 tenants do); the rest are `other`.
    observer: createPrometheusObserver({ registry, tenantLabel: { promoteAfter: 5 } }),
    ...options,
  });
  app.get('/v1/scenarios', async () => ({ scenarios: [] }));
  // An expensive route: each call takes 5 tokens of the tenant's bucket.
  app.get('/v1/scenarios/:id/export', { config: { rateLimit: { cost: 5 } } }, async (request) => ({ id: request.params.id, rows: [] }));
  app.get('/healthz', { config: { rateLimit: false } }, async () => ({ ok: true }));
  // Prometheus scrapes are not rate limited either.
  app.get('/metrics', { config: { rateLimit: false } }, async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  return app;
}
