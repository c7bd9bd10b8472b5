// After: Aurum. The route keeps its own, smaller bucket through a route rule (or costs more
// tokens of the tenant's bucket with `config: { rateLimit: { cost } }`).
import { aurumRateLimit } from '@aurum/ratelimit-fastify';
import Fastify from 'fastify';

export async function createApp() {
  const app = Fastify();
  await app.register(aurumRateLimit, {
    tiers: { free: { requestsPerSecond: 100 / 60, burstSize: 100 } },
    routes: [{ path: '/v1/exports', method: 'POST', bucket: 'exports', quota: { requestsPerSecond: 10 / 60, burstSize: 10 } }],
    skip: (request) => request.ip === '127.0.0.2',
  });
  app.post('/v1/exports', async () => ({ queued: true }));
  app.get('/v1/items', { config: { rateLimit: { cost: 1 } } }, async () => []);
  return app;
}
