import type { Server } from 'node:http';
import { request, exampleTestOptions } from '@aurum/ratelimit-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript example
import { createApp } from '../app.mjs';

describe('custom-server example', () => {
  let url: string;
  let server: Server;

  beforeAll(async () => {
    ({ server } = createApp(exampleTestOptions()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('limits with the core alone', async () => {
    const codes = [];
    for (let i = 0; i < 11; i++) codes.push((await request(url, '/x', { headers: { 'x-tenant-id': 'plain' } })).status);
    expect(codes).toEqual([...Array(10).fill(200), 429]);
    expect((await request(url, '/admin/ratelimit/tenants')).status).toBe(403);
  });

  it('serves the admin API with a body read from the stream, and releases slots', async () => {
    const app = createApp({ env: false, load: { enabled: false }, admin: { token: 'custom-server-token-0123456789' } });
    await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const auth = { authorization: 'Bearer custom-server-token-0123456789' };
    const put = await request(base, '/admin/ratelimit/tenants/solo/override', { method: 'PUT', headers: auth, body: { maxConcurrentRequests: 1 } });
    expect(put.status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await request(base, '/x', { headers: { 'x-tenant-id': 'solo' } })).status).toBe(200);
    app.server.closeAllConnections();
    await new Promise((r) => app.server.close(r));
    await app.limiter.close();
  });
});
