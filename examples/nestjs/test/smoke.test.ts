import { request } from '@aurum/ratelimit-testkit';
import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';

describe('nestjs example', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    app = await createApp({ env: false, load: { enabled: false } });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterAll(() => app.close());

  const tenant = (id: string, extra: { method?: string } = {}) => ({ ...extra, headers: { 'x-tenant-id': id } });

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
    expect(report.headers['ratelimit-policy']).toBe('"free-reports";q=10;w=2');

    const health = await request(url, '/healthz', tenant('acme-corp'));
    expect(health.text).toBe('ok');
    expect(health.headers['x-ratelimit-limit']).toBeUndefined();

    expect((await request(url, '/v1/scenarios', tenant('ent-globex'))).headers['x-ratelimit-limit']).toBe('1000');
    expect((await request(url, '/v1/scenarios', tenant('bad{id}'))).status).toBe(400);
    const admin = await request(url, '/admin/ratelimit/tenants/acme-corp', { headers: { authorization: 'Bearer demo-admin-token' } });
    expect(admin.json).toMatchObject({ tenantId: 'acme-corp', tier: 'free', remaining: 0 });
  });
});
