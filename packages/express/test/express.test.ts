import { AdminDisabledError, ClosedError, type DecisionEvent, RateLimitConfigError } from '@aurum/ratelimit-core';
import { FakeClock, request, waitFor } from '@aurum/ratelimit-testkit';
import express from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAdminRouter, createRateLimitMiddleware } from '../src/index.js';

const base = { env: false as const, load: { enabled: false } };
const servers: Array<() => Promise<void>> = [];

async function listen(app: express.Express): Promise<string> {
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((close) => close()));
});

describe('Express adapter specifics', () => {
  it('accepts the seed two-argument form createRateLimitMiddleware(app, settings)', async () => {
    const app = express();
    // @ts-expect-error run time only since issue 14: the form is no longer in the typings
    const limiter = createRateLimitMiddleware(app, { ...base, tiers: { free: { burstSize: 2, requestsPerSecond: 0.1 } } });
    app.use(limiter);
    app.get('/x', (_req, res) => res.send('ok'));
    const url = await listen(app);
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await request(url, '/x', { headers: { 'x-tenant-id': 'two-arg' } })).status);
    expect(codes).toEqual([200, 200, 429]);
  });

  it('reports the Express route pattern, not the raw URL, when mounted on a route', async () => {
    const events: DecisionEvent[] = [];
    const app = express();
    const limiter = createRateLimitMiddleware({ ...base, observer: { onDecision: (e) => events.push(e) } });
    app.get('/users/:id', limiter, (_req, res) => res.send('ok'));
    const url = await listen(app);
    await request(url, '/users/12345', { headers: { 'x-tenant-id': 'routes' } });
    await request(url, '/users/67890', { headers: { 'x-tenant-id': 'routes' } });
    expect(events.map((e) => e.route)).toEqual(['/users/:id', '/users/:id']);
  });

  it('folds ids in the metrics path label when the route is unknown (app-level middleware)', async () => {
    const events: DecisionEvent[] = [];
    const app = express();
    app.use(createRateLimitMiddleware({ ...base, observer: { onDecision: (e) => events.push(e) } }));
    app.get('/orders/:id', (_req, res) => res.send('ok'));
    const url = await listen(app);
    await request(url, '/orders/9f1c2d3e-1111-4222-8333-444455556666?x=1', { headers: { 'x-tenant-id': 'labels' } });
    expect(events[0]?.route).toBe('/orders/:id');
  });

  it('fails at start-up on bad options, naming every problem', () => {
    expect(() => createRateLimitMiddleware({ ...base, tiers: { free: { burstSize: 0 } }, anonymous: 'nobody' as never, tenantHeadres: [] } as never)).toThrow(
      RateLimitConfigError,
    );
    let error: unknown;
    try {
      createRateLimitMiddleware({ ...base, tiers: { free: { burstSize: 0 } }, anonymous: 'nobody' as never });
    } catch (e) {
      error = e;
    }
    expect((error as RateLimitConfigError).issues.map((i) => i.key)).toEqual(['tiers.free.burstSize', 'anonymous.mode']);
  });

  it('takes a ready manager, and refuses manager options beside it', async () => {
    const first = createRateLimitMiddleware(base);
    const shared = createRateLimitMiddleware({ manager: first.manager });
    expect(shared.manager).toBe(first.manager);
    expect(() => createRateLimitMiddleware({ manager: first.manager, tiers: {} })).toThrow(/cannot be combined with manager/);
    await first.close();
  });

  it('reads admin bodies parsed by express.json() as well as raw ones', async () => {
    const clock = new FakeClock();
    const app = express();
    app.use(express.json());
    const limiter = createRateLimitMiddleware({ ...base, clock, admin: { token: 'a-long-admin-token-for-tests' } });
    app.use(limiter);
    const url = await listen(app);
    const auth = { authorization: 'Bearer a-long-admin-token-for-tests' };
    const put = await request(url, '/admin/ratelimit/tenants/parsed/override', { method: 'PUT', headers: auth, body: { burstSize: 3 } });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ tenantId: 'parsed', override: { burstSize: 3 } });
    const bad = await request(url, '/admin/ratelimit/tenants/parsed/override', {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'not json',
    });
    expect(bad.status).toBe(400);
  });

  it('mounts the admin API alone with createAdminRouter', async () => {
    const limiter = createRateLimitMiddleware({ ...base, admin: { token: 'a-long-admin-token-for-tests' } });
    const admin = express();
    admin.use(createAdminRouter(limiter));
    admin.use((_req, res) => res.status(418).send('fallthrough'));
    const url = await listen(admin);
    const health = await request(url, '/admin/ratelimit/health', { headers: { authorization: 'Bearer a-long-admin-token-for-tests' } });
    expect(health.status).toBe(200);
    expect((await request(url, '/elsewhere')).status).toBe(418);
    expect(() => createAdminRouter({ ...base, admin: false })).toThrow(AdminDisabledError);
    expect(() => createAdminRouter({ ...base, admin: false })).toThrow(TypeError);
    await limiter.close();
  });

  it('createAdminRouter(options) owns the manager it builds: close() closes it, a shared one stays open', async () => {
    const own = createAdminRouter({ ...base, admin: { token: 'a-long-admin-token-for-tests' } });
    await own.close();
    await expect(own.limiter.manager.getTenantStatus('probe')).rejects.toThrow(ClosedError);

    const limiter = createRateLimitMiddleware(base);
    const shared = createAdminRouter(limiter);
    await shared.close();
    await expect(limiter.manager.getTenantStatus('probe')).resolves.toMatchObject({ tenantId: 'probe' });
    await limiter.close();
  });

  it('createAdminRouter leaves the body of other requests to the app', async () => {
    const admin = createAdminRouter({ ...base, admin: { token: 'a-long-admin-token-for-tests' } });
    const app = express();
    app.use(admin);
    app.use(express.json());
    app.put('/orders', (req, res) => res.json(req.body));
    const url = await listen(app);
    const echoed = await request(url, '/orders', { method: 'PUT', body: { item: 'book' } });
    expect(echoed.json).toEqual({ item: 'book' });
    await admin.close();
  });

  it('passes a request decided on the memory store on to next() synchronously, without a promise', () => {
    const limiter = createRateLimitMiddleware(base);
    const req = { method: 'GET', url: '/x', originalUrl: '/x', headers: { 'x-tenant-id': 'sync' }, socket: { remoteAddress: '127.0.0.1' } };
    const headers: Record<string, string> = {};
    const res = { destroyed: false, writableFinished: false, setHeader: (n: string, v: string) => (headers[n] = v), on: () => {}, once: () => {} };
    const next = vi.fn();
    const returned = limiter(req as never, res as never, next);
    expect(returned).toBeUndefined();
    expect(next).toHaveBeenCalledTimes(1);
    expect(headers).toMatchObject({ 'X-RateLimit-Remaining': '9', 'X-RateLimit-Tenant': 'sync' });
  });

  it('logs a failed slot release with its error instead of swallowing it', async () => {
    const warnings: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (obj: Record<string, unknown>, msg?: string) => warnings.push({ obj, msg }) };
    const limiter = createRateLimitMiddleware({ ...base, logger });
    const err = new Error('release failed');
    vi.spyOn(limiter.limiter, 'decide').mockReturnValue({ action: 'continue', headers: {}, release: () => Promise.reject(err) });
    const app = express();
    app.use(limiter);
    app.get('/x', (_req, res) => res.send('ok'));
    const url = await listen(app);
    expect((await request(url, '/x')).status).toBe(200);
    await waitFor(() => warnings.length > 0, 2000, 'the failed release logged');
    expect(warnings).toEqual([{ obj: { err }, msg: expect.stringMatching(/releasing a concurrency slot failed/) }]);
  });

  it('lets the request through (never a 500) when a user hook throws', async () => {
    const app = express();
    app.use(
      createRateLimitMiddleware({
        ...base,
        cost: () => {
          throw new Error('boom');
        },
      }),
    );
    app.get('/x', (_req, res) => res.send('ok'));
    const url = await listen(app);
    expect((await request(url, '/x', { headers: { 'x-tenant-id': 'hooks' } })).status).toBe(200);
  });
});
