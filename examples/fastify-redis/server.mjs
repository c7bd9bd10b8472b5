import { createApp } from './app.mjs';

const app = await createApp({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } });
const url = await app.listen({ port: Number(process.env.PORT ?? 3003), host: '127.0.0.1' });
console.log(`Fastify + Redis on ${url} (Redis: ${process.env.AURUM_API_CACHE_REDIS_URL ?? 'redis://127.0.0.1:6379'})
  curl -i -H 'X-Tenant-ID: acme-corp' ${url}/v1/scenarios
  curl -i -H 'X-Tenant-ID: acme-corp' ${url}/v1/scenarios/42/export
  curl -H 'Authorization: Bearer demo-admin-token' ${url}/admin/ratelimit/health
  curl -s ${url}/metrics | grep '^aurum_api_tenant_ratelimit_'`);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => app.close().then(() => process.exit(0)));
