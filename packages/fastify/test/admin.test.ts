import { request } from '@aurum/ratelimit-testkit';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { aurumRateLimit, aurumRateLimitAdmin } from '../src/index.js';
import { closedAfterEach, FASTIFY_MAJORS, listen } from './app.js';

const TOKEN = 'a-long-admin-token-for-fastify-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
const base = { env: false as const, load: { enabled: false }, admin: { token: TOKEN } };
const open = closedAfterEach();

describe.each(FASTIFY_MAJORS)('%s admin routes', (_name, factory) => {
  function create(): FastifyInstance {
    const app = factory();
    open.push(app);
    return app;
  }

  it('are real Fastify routes, and the core answers unknown paths and methods', async () => {
    const app = create();
    await app.register(aurumRateLimit, base);
    await app.ready();
    for (const [method, url] of [
      ['GET', '/admin/ratelimit/tenants'],
      ['GET', '/admin/ratelimit/tenants/:id'],
      ['DELETE', '/admin/ratelimit/tenants/:id/reset'],
      ['PUT', '/admin/ratelimit/tenants/:id/override'],
      ['DELETE', '/admin/ratelimit/tenants/:id/override'],
      ['POST', '/admin/ratelimit/circuit-breaker/reset'],
      ['GET', '/admin/ratelimit/quotas'],
      ['GET', '/admin/ratelimit/health'],
    ] as const) {
      expect(app.hasRoute({ method, url }), `${method} ${url}`).toBe(true);
    }
    const { url } = await listen(app);
    const wrongMethod = await request(url, '/admin/ratelimit/tenants', { method: 'POST', headers: auth });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET');
    const unknown = await request(url, '/admin/ratelimit/nope/deeper', { headers: auth });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { type: 'https://aurum.api/errors/not_found' } });
    const head = await request(url, '/admin/ratelimit/health', { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('hand bodies to the core unparsed, so every adapter answers bad JSON the same way', async () => {
    const app = create();
    await app.register(aurumRateLimit, base);
    const { url } = await listen(app);
    const path = '/admin/ratelimit/tenants/bodies/override';
    const json = await request(url, path, { method: 'PUT', headers: auth, body: { burstSize: 3 } });
    expect(json.status).toBe(200);
    expect(json.json).toMatchObject({ tenantId: 'bodies', override: { burstSize: 3 } });
    const text = await request(url, path, { method: 'PUT', headers: { ...auth, 'content-type': 'text/plain' }, body: '{"burstSize":4}' });
    expect(text.json).toMatchObject({ override: { burstSize: 4 } });
    const bad = await request(url, path, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: 'not json' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { type: 'https://aurum.api/errors/invalid_request' } });
  });

  it('follow a register() prefix around the plugin', async () => {
    const app = create();
    app.register(
      async (internal) => {
        await internal.register(aurumRateLimit, base);
      },
      { prefix: '/internal' },
    );
    const { url } = await listen(app);
    const health = await request(url, '/internal/admin/ratelimit/health', { headers: auth });
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ circuitBreaker: 'closed' });
  });

  it('are not mounted with admin: false', async () => {
    const app = create();
    await app.register(aurumRateLimit, { ...base, admin: false });
    await app.ready();
    expect(app.hasRoute({ method: 'GET', url: '/admin/ratelimit/health' })).toBe(false);
  });

  it('can be served alone, on another instance, sharing the manager', async () => {
    const app = create();
    await app.register(aurumRateLimit, { ...base, admin: false });
    const internal = create();
    await internal.register(aurumRateLimitAdmin, {
      manager: app.aurumRateLimit.manager,
      admin: { token: TOKEN, prefix: '/ops' },
      prefix: '/internal',
    } as never);
    const { url: publicUrl } = await listen(app);
    const { url } = await listen(internal);
    await request(publicUrl, '/admin/ratelimit/health', { headers: { 'x-tenant-id': 'shared-manager' } });
    const status = await request(url, '/internal/ops/tenants/shared-manager', { headers: auth });
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ tenantId: 'shared-manager', remaining: 9 });

    const disabled = create();
    disabled.register(aurumRateLimitAdmin, { limiter: app.aurumRateLimit });
    await expect(disabled.ready()).rejects.toThrow(/admin API is disabled/);
  });
});
