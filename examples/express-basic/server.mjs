import { createApp } from './app.mjs';

const host = '127.0.0.1';
const wanted = Number(process.env.PORT ?? 3000);
const { app } = createApp();

const server = app.listen(wanted, host);
server.on('error', (error) => {
  if (error.code !== 'EADDRINUSE') throw error;
  console.log(`Port ${wanted} is busy; using a free one instead.`);
  server.listen(0, host);
});
server.on('listening', () => {
  const url = `http://${host}:${server.address().port}`;
  const token = process.env.AURUM_API_RATE_LIMIT_ADMIN_TOKEN ?? 'demo-admin-token';
  console.log(`
Aurum rate limiting demo (Express, in-memory store) on ${url}

Free tenant: burst of 10, then 5 requests/second. The 11th request of a burst gets 429 (one curl, 11 requests on one connection):
  curl -s -o /dev/null -w '%{http_code} ' -H 'X-Tenant-ID: acme-corp' "${url}/v1/scenarios?n=[1-11]"; echo

Headers and the 429 body (run it right after the line above):
  curl -i -H 'X-Tenant-ID: acme-corp' ${url}/v1/scenarios

Enterprise tenant (ids starting with "ent-": burst 1000, 500/s):
  curl -i -H 'X-Tenant-ID: ent-globex' ${url}/v1/scenarios

An export costs 5 tokens:
  curl -i -X POST -H 'X-Tenant-ID: acme-corp' ${url}/v1/exports

Invalid tenant id gets 400:
  curl -i -H 'X-Tenant-ID: bad{id}' ${url}/v1/scenarios

Admin API (token "${token}"):
  curl -H 'Authorization: Bearer ${token}' ${url}/admin/ratelimit/tenants
  curl -H 'Authorization: Bearer ${token}' ${url}/admin/ratelimit/tenants/acme-corp
  curl -X DELETE -H 'Authorization: Bearer ${token}' ${url}/admin/ratelimit/tenants/acme-corp/reset

Prometheus metrics (not rate limited; decisions by result, path, tenant and tier):
  curl -s ${url}/metrics | grep '^aurum_api_tenant_ratelimit_total'

Press Ctrl+C to stop.`);
});

const stop = () => server.close(() => process.exit(0));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, stop);
// Started by `npm run demo`: stop with it, however it ended (its IPC channel closes).
if (process.send) process.once('disconnect', stop);
