// Before: @fastify/rate-limit, global limit plus a stricter route.
import rateLimit from '@fastify/rate-limit';
import Fastify from 'fastify';

export async function createApp() {
  const app = Fastify();
  await app.register(rateLimit, {
    max: 100,
    timeWindow: '1 minute',
    keyGenerator: (request) => (request.headers['x-tenant-id'] as string | undefined) ?? request.ip,
    allowList: ['127.0.0.2'],
  });
  app.post('/v1/exports', { config: { rateLimit: { max: 10, timeWindow: '1 minute' } } }, async () => ({ queued: true }));
  app.get('/v1/items', async () => []);
  return app;
}
