import { METRIC_NAMES } from '@aurum/ratelimit-prometheus';
import { request, scrapeMetricsEndpoint, exampleTestOptions } from '@aurum/ratelimit-testkit';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';

/** The example app on a free loopback port. */
async function start(): Promise<{ app: INestApplication; url: string }> {
  const app = await createApp(exampleTestOptions());
  await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}` };
}

const tenant = (id: string, extra: { method?: string } = {}) => ({ ...extra, headers: { 'x-tenant-id': id } });

describe('nestjs example', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await start());
  });
  afterAll(() => app.close());

  it('does what the printed curl lines promise', async () => {
    const free = [];
    for (let i = 0; i < 11; i++) free.push((await request(url, '/v1/scenarios', tenant('acme-corp'))).status);
    expect(free).toEqual([...Array(10).fill(200), 429]);
    const denied = await request(url, '/v1/scenarios', tenant('acme-corp'));
    expect(denied.headers['retry-after']).toBeDefined();
    expect((denied.json as { error: { type: string } }).error.type).toBe('https://aurum.api/errors/rate_limit_exceeded');

    const exp = await request(url, '/v1/exports', tenant('basic-co', { method: 'POST' }));
    expect(exp.status).toBe(202);
    expect(exp.headers['x-ratelimit-remaining']).toBe('35');

    const report = await request(url, '/v1/reports/q3', tenant('acme-corp'));
    expect(report.status).toBe(200);
    expect(report.headers['ratelimit-policy']).toBe('"free-reports";q=10;w=100');

    const health = await request(url, '/healthz', tenant('acme-corp'));
    expect(health.text).toBe('ok');
    expect(health.headers['x-ratelimit-limit']).toBeUndefined();

    expect((await request(url, '/v1/scenarios', tenant('ent-globex'))).headers['x-ratelimit-limit']).toBe('1000');
    expect((await request(url, '/v1/scenarios', tenant('bad{id}'))).status).toBe(400);
    const admin = await request(url, '/admin/ratelimit/tenants/acme-corp', { headers: { authorization: 'Bearer demo-admin-token' } });
    expect(admin.json).toMatchObject({ tenantId: 'acme-corp', tier: 'free', remaining: 0 });
    const metrics = await request(url, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('aurum_api_tenant_ratelimit_total{result="limited",path="/v1/scenarios",tenant="acme-corp",tier="free"} 2');
  });

  it('serves every Aurum metric at /metrics, labelled by result, route pattern, tenant and tier, and never limits the scrape', async () => {
    // A fresh app, so the counts below are this test's own.
    const own = await start();
    try {
      const codes = [];
      for (let i = 0; i < 11; i++) codes.push((await request(own.url, '/v1/scenarios', tenant('acme-corp'))).status);
      expect(codes).toEqual([...Array(10).fill(200), 429]);
      expect((await request(own.url, '/v1/reports/q3', tenant('acme-corp'))).status).toBe(200);
      expect((await request(own.url, '/v1/exports', tenant('basic-co', { method: 'POST' }))).status).toBe(202);
      expect((await request(own.url, '/v1/scenarios', tenant('ent-globex'))).status).toBe(200);
      expect((await request(own.url, '/healthz', tenant('acme-corp'))).status).toBe(200);
      expect((await request(own.url, '/v1/scenarios', tenant('bad{id}'))).status).toBe(400);

      // Scrapes carry no tenant: limited, 11 in a row from one address would get a 429.
      const metrics = await scrapeMetricsEndpoint(own.url, Object.values(METRIC_NAMES));
      const totals = metrics.of(METRIC_NAMES.total);
      for (const sample of totals) expect(Object.keys(sample.labels).sort()).toEqual(['path', 'result', 'tenant', 'tier']);
      const total = (labels: Record<string, string>, value: number) => ({ name: METRIC_NAMES.total, labels, value });
      // acme-corp earned its own label on its 5th request (promoteAfter: 5): 6 allowed and the 429 after.
      expect(totals).toContainEqual(total({ result: 'allowed', path: '/v1/scenarios', tenant: 'other', tier: 'free' }, 4));
      expect(totals).toContainEqual(total({ result: 'allowed', path: '/v1/scenarios', tenant: 'acme-corp', tier: 'free' }, 6));
      expect(totals).toContainEqual(total({ result: 'limited', path: '/v1/scenarios', tenant: 'acme-corp', tier: 'free' }, 1));
      // The route pattern, not the raw URL /v1/reports/q3.
      expect(totals).toContainEqual(total({ result: 'allowed', path: '/v1/reports/:id', tenant: 'acme-corp', tier: 'free' }, 1));
      expect(totals).toContainEqual(total({ result: 'allowed', path: '/v1/exports', tenant: 'other', tier: 'basic' }, 1));
      expect(totals).toContainEqual(total({ result: 'allowed', path: '/v1/scenarios', tenant: 'other', tier: 'enterprise' }, 1));
      expect(new Set(totals.map((s) => s.labels.path))).toEqual(new Set(['/v1/scenarios', '/v1/reports/:id', '/v1/exports']));

      expect(metrics.of(`${METRIC_NAMES.blockDuration}_count`)).toEqual([{ name: `${METRIC_NAMES.blockDuration}_count`, labels: { tier: 'free' }, value: 1 }]);
      expect(metrics.of(METRIC_NAMES.circuitState)).toEqual([{ name: METRIC_NAMES.circuitState, labels: {}, value: 0 }]);
      expect(metrics.of(METRIC_NAMES.activeWindows).map((s) => s.labels.tier)).toEqual(['free', 'basic', 'premium', 'enterprise']);
      // 11 + 1 report for acme-corp, one each for basic-co and ent-globex; not /healthz, /metrics or the invalid id.
      expect(metrics.of(METRIC_NAMES.decisionsBySource)).toEqual([{ name: METRIC_NAMES.decisionsBySource, labels: { source: 'primary' }, value: 14 }]);
      expect(metrics.of(METRIC_NAMES.concurrency)).toContainEqual({ name: METRIC_NAMES.concurrency, labels: { result: 'allowed', tier: 'free' }, value: 11 });
    } finally {
      await own.app.close();
    }
  });
});
