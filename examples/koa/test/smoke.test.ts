import type { Server } from 'node:http';
import { request } from '@aurum/ratelimit-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript example
import { createApp } from '../app.mjs';

describe('koa example', () => {
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const { app, limiter } = createApp({ env: false, load: { enabled: false } });
    const server = await new Promise<Server>((resolve) => {
      const s: Server = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await limiter.close();
    };
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
  });
});
