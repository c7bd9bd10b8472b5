import { createApp } from './app.mjs';

const { app } = createApp();
const server = app.listen(Number(process.env.PORT ?? 3002), '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`;
  console.log(`Express + Redis on ${url} (Redis: ${process.env.AURUM_API_CACHE_REDIS_URL ?? 'redis://127.0.0.1:6379'})
  curl -i -H 'X-Tenant-ID: acme-corp' ${url}/v1/scenarios
  curl -H 'Authorization: Bearer demo-admin-token' ${url}/admin/ratelimit/health`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
