import 'reflect-metadata';
import { createApp } from './app.js';

const host = '127.0.0.1';
const wanted = Number(process.env.PORT ?? 3000);

const app = await createApp();
app.enableShutdownHooks();
try {
  await app.listen(wanted, host);
} catch (error) {
  if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
  console.log(`Port ${wanted} is busy; using a free one instead.`);
  await app.listen(0, host);
}
const url = `http://${host}:${(app.getHttpServer().address() as { port: number }).port}`;
const token = process.env.AURUM_API_RATE_LIMIT_ADMIN_TOKEN ?? 'demo-admin-token';
console.log(`
Aurum rate limiting with NestJS (Express platform, in-memory store) on ${url}

Free tenant: burst of 10, then 5 requests/second. The 11th request of a burst gets 429 (one curl, 11 requests on one connection):
  curl -s -o /dev/null -w '%{http_code} ' -H 'X-Tenant-ID: acme-corp' "${url}/v1/scenarios?n=[1-11]"; echo

Headers and the 429 body (right after the line above):
  curl -i -H 'X-Tenant-ID: acme-corp' ${url}/v1/scenarios

@RateLimit({ cost: 5 }): an export costs 5 tokens:
  curl -i -X POST -H 'X-Tenant-ID: basic-co' ${url}/v1/exports

@RateLimit({ bucket: 'reports' }): reports have their own bucket (see RateLimit-Policy):
  curl -i -H 'X-Tenant-ID: acme-corp' ${url}/v1/reports/q3

@SkipRateLimit(): never limited, no rate-limit headers:
  curl -i -H 'X-Tenant-ID: acme-corp' ${url}/healthz

Admin API (token "${token}"):
  curl -H 'Authorization: Bearer ${token}' ${url}/admin/ratelimit/tenants/acme-corp

Prometheus metrics (@SkipRateLimit(); decisions by result, route pattern, tenant and tier):
  curl -s ${url}/metrics | grep '^aurum_api_tenant_ratelimit_total'

Press Ctrl+C to stop.`);
