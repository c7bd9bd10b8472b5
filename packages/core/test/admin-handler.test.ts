import { describe, expect, it, vi } from 'vitest';
import { createRateLimitManager, type RateLimitOptions } from '../src/index.js';
import { type AdminHttpRequest, createHttpRateLimiter, DEFAULT_ADMIN_PREFIX, type HttpResponse } from '../src/adapter.js';
import { bearerToken, secretsEqual } from '../src/admin/auth.js';
import { AdminHandler } from '../src/admin/admin-handler.js';
import { FakeClock, recordingLogger, ScriptedStore } from './support.js';

const TOKEN = 'admin-s3cret-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

function setup(options: RateLimitOptions = {}) {
  const clock = new FakeClock();
  const log = recordingLogger();
  const http = createHttpRateLimiter({ env: false, load: { enabled: false }, clock, logger: log.logger, admin: { token: TOKEN }, ...options });
  const call = async (method: string, path: string, init: Partial<AdminHttpRequest> = {}) => {
    const res = await http.handleAdmin({ method, path: DEFAULT_ADMIN_PREFIX + path, headers: AUTH, ...init });
    if (!res) throw new Error(`no admin response for ${method} ${path}`);
    return { ...res, json: JSON.parse(res.body) as Record<string, unknown> };
  };
  return { http, manager: http.manager, call, log, clock };
}

const ROUTES: Array<[string, string]> = [
  ['GET', '/tenants'],
  ['GET', '/tenants/acme'],
  ['DELETE', '/tenants/acme/reset'],
  ['PUT', '/tenants/acme/override'],
  ['DELETE', '/tenants/acme/override'],
  ['POST', '/circuit-breaker/reset'],
  ['GET', '/quotas'],
  ['GET', '/health'],
];

describe('admin auth', () => {
  it('refuses every request with 403 when no auth is configured', async () => {
    const { call } = setup({ admin: {} });
    for (const [method, path] of [...ROUTES, ['GET', '/nope'] as [string, string]]) {
      const res = await call(method, path, { body: { burstSize: 1 } });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((res.json.error as Record<string, unknown>).type).toBe('https://aurum.api/errors/admin_disabled');
    }
  });

  it('is on by default but refuses everything without a token', async () => {
    const { call } = setup({ admin: undefined });
    expect((await call('GET', '/health')).status).toBe(403);
  });

  it.each<[string, Record<string, string | string[]>]>([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer nope' }],
    ['a token prefix', { authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
    ['another scheme', { authorization: `Basic ${TOKEN}` }],
    ['a bare token', { authorization: TOKEN }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('answers 401 for %s', async (_name, headers) => {
    const { call } = setup();
    const res = await call('GET', '/health', { headers });
    expect(res.status).toBe(401);
    expect(res.headers['WWW-Authenticate']).toBe('Bearer realm="aurum-ratelimit"');
    expect((res.json.error as Record<string, unknown>).type).toBe('https://aurum.api/errors/unauthorized');
  });

  it('accepts the Bearer token, with any scheme case and surrounding blanks', async () => {
    const { call } = setup();
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/health', { headers: { authorization: `bearer   ${TOKEN} ` } })).status).toBe(200);
    expect((await call('GET', '/health', { headers: { authorization: [`Bearer ${TOKEN}`] } })).status).toBe(200);
  });

  it('authenticates before routing, so unknown routes do not leak', async () => {
    const { call } = setup();
    expect((await call('GET', '/nope', { headers: {} })).status).toBe(401);
    expect((await call('GET', '/nope')).status).toBe(404);
  });

  it('uses an authorize function: true lets in, anything else (or a throw) is 403', async () => {
    const authorize = vi.fn(async (r: { headers: Record<string, unknown> }) => r.headers['x-role'] === 'ops');
    const { call, log } = setup({ admin: { authorize } });
    expect((await call('GET', '/health', { headers: { 'x-role': 'ops' } })).status).toBe(200);
    expect((await call('GET', '/health', { headers: { 'x-role': 'dev' } })).status).toBe(403);
    const throwing = setup({
      admin: {
        authorize: () => {
          throw new Error('idp down');
        },
      },
    });
    expect((await throwing.call('GET', '/health')).status).toBe(403);
    expect(throwing.log.lines.some((l) => l.level === 'warn')).toBe(true);
    expect(log.lines.filter((l) => l.level !== 'info')).toHaveLength(0); // the start-up summary only
  });

  it('takes the token from the environment', async () => {
    const http = createHttpRateLimiter({ env: { AURUM_API_RATE_LIMIT_ADMIN_TOKEN: 'from-env-0123456789' }, load: { enabled: false } });
    const res = await http.handleAdmin({ method: 'GET', path: '/admin/ratelimit/health', headers: { authorization: 'Bearer from-env-0123456789' } });
    expect(res?.status).toBe(200);
  });
});

describe('admin routes', () => {
  it('GET /tenants lists tenants seen', async () => {
    const { call, manager } = setup();
    await manager.checkRateLimit('acme');
    const res = await call('GET', '/tenants');
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({ 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    expect(res.json.tenants).toEqual([expect.objectContaining({ tenantId: 'acme', allowed: 1, denied: 0, tier: 'free' })]);
    expect(res.json.nextCursor).toBeNull();
  });

  it('GET /tenants pages: ?limit= entries, nextCursor to resume, null on the last page', async () => {
    const { call, manager, clock } = setup();
    for (let i = 0; i < 5; i++) {
      clock.advance(1);
      await manager.checkRateLimit(`t-${i}`);
    }
    const ids = (res: { json: Record<string, unknown> }) => (res.json.tenants as Array<{ tenantId: string }>).map((t) => t.tenantId);
    const first = await call('GET', '/tenants?limit=2');
    expect(ids(first)).toEqual(['t-4', 't-3']);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await call('GET', `/tenants?cursor=${encodeURIComponent(first.json.nextCursor as string)}&limit=2`);
    expect(ids(second)).toEqual(['t-2', 't-1']);
    const last = await call('GET', `/tenants/?limit=2&cursor=${second.json.nextCursor}#ignored`);
    expect(last.json).toMatchObject({ nextCursor: null });
    expect(ids(last)).toEqual(['t-0']);
  });

  it('GET /tenants answers 100 tenants unless asked for more, and at most 1000', async () => {
    const { call, manager } = setup();
    for (let i = 0; i < 1001; i++) await manager.checkRateLimit(`t-${i}`);
    const first = await call('GET', '/tenants');
    expect(first.json.tenants).toHaveLength(100);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    expect((await call('GET', '/tenants?limit=1000')).json.tenants).toHaveLength(1000);
  });

  it.each(['0', '1001', '-1', '1.5', '1e2', 'ten', '', ' 5', '99999999999'])(
    'GET /tenants?limit=%s answers 400 invalid_request naming limit',
    async (limit) => {
      const { call, manager } = setup();
      await manager.checkRateLimit('acme');
      const res = await call('GET', `/tenants?limit=${encodeURIComponent(limit)}`);
      expect(res.status).toBe(400);
      const error = res.json.error as Record<string, unknown>;
      expect(error.type).toBe('https://aurum.api/errors/invalid_request');
      expect(error.detail).toMatch(/^limit must be a whole number from 1 to 1000, got /);
    },
  );

  it.each(['nope!', 'bm90IGpzb24', Buffer.from('[1]').toString('base64url')])(
    'GET /tenants?cursor=%s answers 400 invalid_request naming cursor',
    async (cursor) => {
      const { call } = setup();
      const res = await call('GET', `/tenants?cursor=${encodeURIComponent(cursor)}`);
      expect(res.status).toBe(400);
      const error = res.json.error as Record<string, unknown>;
      expect(error.type).toBe('https://aurum.api/errors/invalid_request');
      expect(error.detail).toMatch(/^cursor is malformed/);
    },
  );

  it('GET /tenants/:id shows one tenant, percent-decoded', async () => {
    const { call, manager } = setup();
    await manager.checkRateLimit('user@example.com', '/', { cost: 3 });
    const res = await call('GET', '/tenants/user%40example.com');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ tenantId: 'user@example.com', remaining: 7, limit: 10, allowed: 1 });
  });

  it('GET /tenants/:id answers 400 for an invalid id', async () => {
    const { call } = setup();
    for (const id of ['bad%20id', '%7Bx%7D', 'a%2Fb']) {
      const res = await call('GET', `/tenants/${id}`);
      expect(res.status, id).toBe(400);
      expect((res.json.error as Record<string, unknown>).type).toBe('https://aurum.api/errors/invalid_tenant');
    }
  });

  it('DELETE /tenants/:id/reset resets the tenant', async () => {
    const { call, manager } = setup();
    for (let i = 0; i < 10; i++) await manager.checkRateLimit('acme');
    const res = await call('DELETE', '/tenants/acme/reset');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ tenantId: 'acme', reset: true });
    expect((await manager.checkRateLimit('acme')).allowed).toBe(true);
  });

  it('PUT /tenants/:id/override sets an override from an object, a JSON string or a Buffer', async () => {
    const { call, manager } = setup();
    const bodies: unknown[] = [{ burstSize: 3 }, '{"burstSize":4,"tier":"premium"}', Buffer.from('{"requestsPerSecond":2}')];
    const expected = [{ burstSize: 3 }, { burstSize: 4, tier: 'premium' }, { requestsPerSecond: 2 }];
    for (const [i, body] of bodies.entries()) {
      const res = await call('PUT', '/tenants/acme/override', { body });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ tenantId: 'acme', override: expected[i] });
    }
    expect(manager.getTenantOverride('acme')).toEqual({ requestsPerSecond: 2 });
  });

  it.each([undefined, '', 'not json', '[1,2]', '"a string"', '42', 'null', Buffer.from('[{"burstSize":3}]'), [1], 42, null])(
    'PUT /tenants/:id/override answers 400 invalid_request for body %j',
    async (body) => {
      const { call, manager } = setup();
      const res = await call('PUT', '/tenants/acme/override', { body });
      expect(res.status).toBe(400);
      expect((res.json.error as Record<string, unknown>).type).toBe('https://aurum.api/errors/invalid_request');
      expect(manager.getTenantOverride('acme')).toBeUndefined();
    },
  );

  it('PUT /tenants/:id/override answers 400 invalid_quota listing the issues', async () => {
    const { call } = setup();
    const res = await call('PUT', '/tenants/acme/override', { body: { burstSize: 0, tier: 'gold' } });
    expect(res.status).toBe(400);
    const error = res.json.error as Record<string, unknown>;
    expect(error.type).toBe('https://aurum.api/errors/invalid_quota');
    expect((error.issues as Array<{ key: string }>).map((i) => i.key).sort()).toEqual(['quota.burstSize', 'quota.tier']);
  });

  it('DELETE /tenants/:id/override removes it, and answers 404 when there is none', async () => {
    const { call, manager } = setup();
    await manager.setTenantOverride('acme', { burstSize: 2 });
    expect((await call('DELETE', '/tenants/acme/override')).json).toEqual({ tenantId: 'acme', removed: true });
    const again = await call('DELETE', '/tenants/acme/override');
    expect(again.status).toBe(404);
    expect((again.json.error as Record<string, unknown>).type).toBe('https://aurum.api/errors/not_found');
  });

  it('answers 404 for a tenant never seen (status and reset), 200 once it has been', async () => {
    const { call, manager } = setup();
    for (const [method, path] of [
      ['GET', '/tenants/ghost'],
      ['DELETE', '/tenants/ghost/reset'],
    ] as const) {
      const res = await call(method, path);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect((res.json.error as Record<string, unknown>).type).toBe('https://aurum.api/errors/unknown_tenant');
    }
    await manager.checkRateLimit('ghost');
    expect((await call('GET', '/tenants/ghost')).status).toBe(200);
    expect((await call('DELETE', '/tenants/ghost/reset')).status).toBe(200);
  });

  it('POST /circuit-breaker/reset closes the breaker', async () => {
    const { call, manager } = setup();
    manager.breaker.open();
    const res = await call('POST', '/circuit-breaker/reset');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ circuitBreaker: 'closed' });
    expect(manager.breaker.state).toBe('closed');
  });

  it('GET /quotas shows the quota table', async () => {
    const { call, manager } = setup({ overrides: { acme: { burstSize: 3 } } });
    const res = await call('GET', '/quotas');
    expect(res.status).toBe(200);
    expect(res.json).toEqual(JSON.parse(JSON.stringify(manager.getQuotas())));
  });

  it('GET /health reports health', async () => {
    const { call } = setup();
    const res = await call('GET', '/health');
    expect(res.json).toMatchObject({ status: 'ok', circuitBreaker: 'closed', store: 'memory' });
  });

  it('answers HEAD like GET', async () => {
    const { call } = setup();
    expect((await call('HEAD', '/health')).status).toBe(200);
  });

  it('answers 404 for an unknown route and 405 with Allow for a wrong method', async () => {
    const { call } = setup();
    expect((await call('GET', '/tenants/acme/unknown')).status).toBe(404);
    const res = await call('POST', '/tenants/acme/override');
    expect(res.status).toBe(405);
    expect(res.headers.Allow).toBe('PUT, DELETE');
  });

  it('ignores the query string and a trailing slash', async () => {
    const { call } = setup();
    expect((await call('GET', '/health/?verbose=1')).status).toBe(200);
  });

  it('answers 404 for the bare prefix', async () => {
    const { call } = setup();
    expect((await call('GET', '')).status).toBe(404);
  });

  it('answers 503 when the store cannot be reset', async () => {
    const clock = new FakeClock();
    const store = new ScriptedStore(clock);
    const { call, manager } = setup({ store, clock, storeTimeoutMs: 20 });
    await manager.checkRateLimit('acme');
    store.mode = 'fail';
    const res = await call('DELETE', '/tenants/acme/reset');
    expect(res.status).toBe(503);
    expect((res.json.error as Record<string, unknown>).type).toBe('https://aurum.api/errors/store_unavailable');
  });

  it('answers 500 for an unexpected failure, and logs it', async () => {
    const { call, manager, log } = setup();
    vi.spyOn(manager, 'health').mockRejectedValue(new Error('boom'));
    const res = await call('GET', '/health');
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('boom');
    expect(log.lines.some((l) => l.level === 'error')).toBe(true);
  });

  it('mounts under a custom prefix', async () => {
    const { http } = setup({ admin: { token: TOKEN, prefix: '/ops/limits/' } });
    expect(await http.handleAdmin({ method: 'GET', path: '/admin/ratelimit/health', headers: AUTH })).toBeUndefined();
    const res = (await http.handleAdmin({ method: 'GET', path: '/ops/limits/health', headers: AUTH })) as HttpResponse;
    expect(res.status).toBe(200);
  });
});

describe('AdminHandler.matches', () => {
  it('matches the prefix and paths under it only', () => {
    const h = new AdminHandler(createRateLimitManager({ env: false, load: { enabled: false } }), { logger: recordingLogger().logger });
    expect(h.matches('/admin/ratelimit')).toBe(true);
    expect(h.matches('/admin/ratelimit/tenants')).toBe(true);
    expect(h.matches('/admin/ratelimit?x=1')).toBe(true);
    expect(h.matches('/admin/ratelimitx')).toBe(false);
    expect(h.matches('/admin')).toBe(false);
  });
});

describe('admin auth helpers', () => {
  it('secretsEqual compares exactly, whatever the lengths', () => {
    expect(secretsEqual('abc', 'abc')).toBe(true);
    expect(secretsEqual('abc', 'abd')).toBe(false);
    expect(secretsEqual('abc', 'abcd')).toBe(false);
    expect(secretsEqual('', 'a')).toBe(false);
  });

  it('bearerToken extracts the token of a Bearer header only', () => {
    expect(bearerToken('Bearer tok')).toBe('tok');
    expect(bearerToken('BEARER\ttok ')).toBe('tok');
    expect(bearerToken(['Bearer first', 'Bearer second'])).toBe('first');
    expect(bearerToken('Bearer two tokens')).toBeUndefined();
    expect(bearerToken('Basic tok')).toBeUndefined();
    expect(bearerToken('Bearertok')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
