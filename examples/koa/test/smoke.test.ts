import type { Server } from 'node:http';
import { METRIC_NAMES } from '@aurum/ratelimit-prometheus';
import { request, scrapeMetricsEndpoint, exampleTestOptions } from '@aurum/ratelimit-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript example
import { createApp } from '../app.mjs';

/** The example app on a free loopback port. */
async function start(): Promise<{ url: string; close: () => Promise<void> }> {
  const { app, limiter } = createApp(exampleTestOptions());
  const server = await new Promise<Server>((resolve) => {
    const s: Server = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await limiter.close();
    },
  };
}

describe('koa example', () => {
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ url, close } = await start());
  });
  afterAll(() => close());

  it('does what the printed curl lines promise', async () => {
    const free = [];
    for (let i = 0; i < 11; i++) free.push((await request(url, '/v1/scenarios', { headers: { 'x-tenant-id': 'acme-corp' } })).status);
    expect(free).toEqual([...Array(10).fill(200), 429]);
    const ent = await request(url, '/v1/scenarios/42', { headers: { 'x-tenant-id': 'ent-globex' } });
    expect(ent.status).toBe(200);
    expect(ent.headers['x-ratelimit-limit']).toBe('1000');
    const exp = await request(url, '/v1/exports', { method: 'POST', headers: { 'x-tenant-id': 'basic-co' } });
    expect(exp.status).toBe(202);
    expect(exp.headers['x-ratelimit-remaining']).toBe('35');
    expect((await request(url, '/v1/scenarios', { headers: { 'x-tenant-id': 'bad{id}' } })).status).toBe(400);
    const admin = await request(url, '/admin/ratelimit/tenants/acme-corp', { headers: { authorization: 'Bearer demo-admin-token' } });
    expect(admin.json).toMatchObject({ tenantId: 'acme-corp', tier: 'free', remaining: 0 });
    expect((await request(url, '/admin/ratelimit/tenants')).status).toBe(401);
    const metrics = await request(url, '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('aurum_api_tenant_ratelimit_total{result="limited",path="/v1/scenarios",tenant="acme-corp",tier="free"} 1');
  });

  it('serves every Aurum metric at /metrics, labelled by result, route pattern, tenant and tier, and never limits the scrape', async () => {
    // A fresh app, so the counts below are this test's own.
    const own = await start();
    try {
      const tenant = (id: string, method = 'GET') => ({ method, headers: { 'x-tenant-id': id } });
      const codes = [];
      for (let i = 0; i < 11; i++) codes.push((await request(own.url, '/v1/scenarios', tenant('acme-corp'))).status);
      expect(codes).toEqual([...Array(10).fill(200), 429]);
      expect((await request(own.url, '/v1/scenarios/42', tenant('ent-globex'))).status).toBe(200);
      expect((await request(own.url, '/v1/exports', tenant('basic-co', 'POST'))).status).toBe(202);
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
      // Inside the router the limiter sees the route pattern, not /v1/scenarios/42.
      expect(totals).toContainEqual(total({ result: 'allowed', path: '/v1/scenarios/:id', tenant: 'other', tier: 'enterprise' }, 1));
      expect(totals).toContainEqual(total({ result: 'allowed', path: '/v1/exports', tenant: 'other', tier: 'basic' }, 1));
      expect(new Set(totals.map((s) => s.labels.path))).toEqual(new Set(['/v1/scenarios', '/v1/scenarios/:id', '/v1/exports']));

      expect(metrics.of(`${METRIC_NAMES.blockDuration}_count`)).toEqual([{ name: `${METRIC_NAMES.blockDuration}_count`, labels: { tier: 'free' }, value: 1 }]);
      expect(metrics.of(METRIC_NAMES.circuitState)).toEqual([{ name: METRIC_NAMES.circuitState, labels: {}, value: 0 }]);
      expect(metrics.of(METRIC_NAMES.activeWindows).map((s) => s.labels.tier)).toEqual(['free', 'basic', 'premium', 'enterprise']);
      // 11 for acme-corp, one each for ent-globex and basic-co; /metrics and the invalid id are not decisions.
      expect(metrics.of(METRIC_NAMES.decisionsBySource)).toEqual([{ name: METRIC_NAMES.decisionsBySource, labels: { source: 'primary' }, value: 13 }]);
      expect(metrics.of(METRIC_NAMES.concurrency)).toContainEqual({ name: METRIC_NAMES.concurrency, labels: { result: 'allowed', tier: 'free' }, value: 10 });
    } finally {
      await own.close();
    }
  });
});
