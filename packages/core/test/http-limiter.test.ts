import { describe, expect, it, vi } from 'vitest';
import { ClosedError, createRateLimitManager, type RateLimitManager, type RateLimitOptions } from '../src/index.js';
import { createHttpRateLimiter, type HttpOutcome, type HttpRateLimiter, type HttpRequestInfo } from '../src/adapter.js';
import { FakeClock, recordingLogger, rejected, ScriptedStore } from './support.js';

interface Raw {
  user?: string;
  weight?: number;
}

function limiter(options: RateLimitOptions<Raw> = {}) {
  const clock = new FakeClock();
  const log = recordingLogger();
  const http = createHttpRateLimiter<Raw>({ env: false, load: { enabled: false }, clock, logger: log.logger, ...options });
  return { http, clock, log };
}

function req(init: Partial<Omit<HttpRequestInfo<Raw>, 'headers'>> & { headers?: Record<string, string | string[]> } = {}): HttpRequestInfo<Raw> {
  return { method: 'GET', url: '/v1/items', ip: '203.0.113.7', raw: {}, ...init, headers: init.headers ?? {} };
}

const acme = (extra: Record<string, string | string[]> = {}) => req({ headers: { 'x-tenant-id': 'acme-corp', ...extra } });

type Respond = Extract<HttpOutcome, { action: 'respond' }>;
type Continue = Extract<HttpOutcome, { action: 'continue' }>;

function responded(outcome: HttpOutcome): Respond & { json: Record<string, unknown> } {
  if (outcome.action !== 'respond') throw new Error(`expected a response, got ${JSON.stringify(outcome)}`);
  return { ...outcome, json: JSON.parse(outcome.body) };
}

function continued(outcome: HttpOutcome): Continue {
  if (outcome.action !== 'continue') throw new Error(`expected continue, got ${outcome.status} ${outcome.body}`);
  return outcome;
}

async function run(http: HttpRateLimiter<Raw>, r: HttpRequestInfo<Raw>, n: number): Promise<HttpOutcome[]> {
  const out: HttpOutcome[] = [];
  for (let i = 0; i < n; i++) {
    const o = await http.handle(r);
    if (o.action === 'continue') await o.release?.();
    out.push(o);
  }
  return out;
}

describe('HttpRateLimiter.handle: tenants', () => {
  it('lets an allowed request continue with the rate-limit headers and a release', async () => {
    const { http } = limiter();
    const o = continued(await http.handle(acme()));
    expect(o.headers).toEqual({
      'X-RateLimit-Limit': '10',
      'X-RateLimit-Remaining': '9',
      'X-RateLimit-Reset': '1',
      'RateLimit-Policy': '"free";q=10;w=2',
      RateLimit: '"free";r=9;t=1',
      'X-RateLimit-Tenant': 'acme-corp',
      'X-RateLimit-Tier': 'free',
    });
    expect(o.decision?.metadata.tenantId).toBe('acme-corp');
    expect(typeof o.release).toBe('function');
  });

  it('answers the 11th request with 429, the headers and the seed body', async () => {
    const { http } = limiter();
    const outcomes = await run(http, acme({ 'x-request-id': 'req-abc' }), 11);
    expect(outcomes.slice(0, 10).every((o) => o.action === 'continue')).toBe(true);
    const r = responded(outcomes[10] as HttpOutcome);
    expect(r.status).toBe(429);
    expect(r.headers).toEqual({
      'X-RateLimit-Limit': '10',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '1',
      'RateLimit-Policy': '"free";q=10;w=2',
      RateLimit: '"free";r=0;t=1',
      'X-RateLimit-Tenant': 'acme-corp',
      'X-RateLimit-Tier': 'free',
      'Retry-After': '1',
      'Content-Type': 'application/json; charset=utf-8',
    });
    expect(r.body).toBe(
      '{"error":{"type":"https://aurum.api/errors/rate_limit_exceeded","title":"Rate Limit Exceeded","detail":"Too many requests for tenant acme-corp","retry_after":1,"instance":"req-abc"}}',
    );
  });

  it('keeps body retry_after equal to Retry-After for longer waits', async () => {
    const { http } = limiter({ tiers: { free: { requestsPerSecond: 0.25, burstSize: 1 } } });
    const [, denied] = await run(http, acme(), 2);
    const r = responded(denied as HttpOutcome);
    expect(r.headers['Retry-After']).toBe('4');
    expect((r.json.error as Record<string, unknown>).retry_after).toBe(4);
  });

  it('generates an instance when the request has no id', async () => {
    const { http } = limiter();
    const outcomes = await run(http, acme(), 11);
    expect((responded(outcomes[10] as HttpOutcome).json.error as Record<string, unknown>).instance).toMatch(/^req-[0-9a-f]{16}$/);
  });

  it('reads the request id from a configured header', async () => {
    const { http } = limiter({ requestIdHeader: 'X-Correlation-ID' });
    const outcomes = await run(http, acme({ 'x-correlation-id': 'corr-1' }), 11);
    expect((responded(outcomes[10] as HttpOutcome).json.error as Record<string, unknown>).instance).toBe('corr-1');
  });

  it('answers in RFC 9457 form when asked', async () => {
    const { http } = limiter({ problemFormat: 'rfc9457' });
    const outcomes = await run(http, acme({ 'x-request-id': 'r1' }), 11);
    const r = responded(outcomes[10] as HttpOutcome);
    expect(r.status).toBe(429);
    expect(r.headers['Content-Type']).toBe('application/problem+json');
    expect(r.json).toEqual({
      type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
      title: 'Request cannot be satisfied as assigned quota has been exceeded',
      status: 429,
      detail: 'Too many requests for tenant acme-corp',
      instance: 'r1',
      'violated-policies': ['free'],
      retry_after: 1,
    });
  });

  it.each<[Record<string, string | string[]>, string]>([
    [{ 'x-tenant-id': 'bad tenant' }, 'Invalid tenant id: must not contain whitespace or control characters'],
    [{ 'x-tenant-id': '' }, 'Invalid tenant id: header x-tenant-id must not be empty'],
    [{ 'x-tenant-id': ['a', 'b'] }, 'Invalid tenant id: header x-tenant-id must be sent once'],
    [{ 'x-tenant-id': 'acmé' }, 'Invalid tenant id: must be ASCII'],
    [{ 'x-tenant-id': '{acme}' }, 'Invalid tenant id: must not contain braces'],
    [{ 'x-aurum-tenant': 'x'.repeat(129) }, 'Invalid tenant id: must be at most 128 characters'],
  ])('answers 400 for tenant headers %j', async (headers, detail) => {
    const { http } = limiter();
    const r = responded(await http.handle(req({ headers: { ...headers, 'x-request-id': 'r-400' } })));
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: { type: 'https://aurum.api/errors/invalid_tenant', title: 'Invalid Tenant', detail, instance: 'r-400' } });
    expect(await http.manager.getAllTenantStatus()).toEqual([]);
  });

  it('takes the first configured header present', async () => {
    const { http } = limiter();
    const o = continued(await http.handle(req({ headers: { 'x-aurum-tenant': 'second', 'x-tenant-id': 'first' } })));
    expect(o.decision?.metadata.tenantId).toBe('first');
    const o2 = continued(await http.handle(req({ headers: { 'x-aurum-tenant': 'second' } })));
    expect(o2.decision?.metadata.tenantId).toBe('second');
  });

  it('reads only the configured tenant headers', async () => {
    const { http } = limiter({ tenantHeaders: ['X-Org'] });
    expect(continued(await http.handle(req({ headers: { 'x-org': 'acme' } }))).decision?.metadata.tenantId).toBe('acme');
    expect(continued(await http.handle(req({ headers: { 'x-tenant-id': 'acme' } }))).decision?.metadata.anonymous).toBe(true);
  });
});

describe('HttpRateLimiter.handle: anonymous requests', () => {
  it('limits per client address by default', async () => {
    const { http } = limiter();
    const a = await run(http, req({ ip: '198.51.100.1' }), 11);
    expect(a.map((o) => o.action).filter((x) => x === 'respond')).toHaveLength(1);
    const r = responded(a[10] as HttpOutcome);
    expect((r.json.error as Record<string, unknown>).detail).toBe('Too many requests for this client');
    expect(r.headers['X-RateLimit-Tenant']).toBe('anonymous');
    expect(continued(await http.handle(req({ ip: '198.51.100.2' }))).decision?.metadata.anonymous).toBe(true);
  });

  it('groups IPv6 clients by /56', async () => {
    const { http } = limiter();
    await run(http, req({ ip: '2001:db8:aa:bb01::1' }), 10);
    expect((await http.handle(req({ ip: '2001:db8:aa:bbff::2' }))).action).toBe('respond');
    expect((await http.handle(req({ ip: '2001:db8:aa:bc00::1' }))).action).toBe('continue');
  });

  it('treats IPv4-mapped IPv6 peers as their IPv4 address', async () => {
    const { http } = limiter();
    await run(http, req({ ip: '::ffff:198.51.100.9' }), 10);
    expect((await http.handle(req({ ip: '198.51.100.9' }))).action).toBe('respond');
  });

  it('ignores X-Forwarded-For unless proxies are trusted', async () => {
    const untrusted = limiter().http;
    await run(untrusted, req({ ip: '10.0.0.1', headers: { 'x-forwarded-for': '198.51.100.1' } }), 10);
    // A client cannot pick a fresh bucket by inventing a forwarded address.
    expect((await untrusted.handle(req({ ip: '10.0.0.1', headers: { 'x-forwarded-for': '198.51.100.2' } }))).action).toBe('respond');

    const trusted = limiter({ trustProxy: ['10.0.0.0/8'] }).http;
    await run(trusted, req({ ip: '10.0.0.1', headers: { 'x-forwarded-for': '198.51.100.1' } }), 10);
    expect((await trusted.handle(req({ ip: '10.0.0.1', headers: { 'x-forwarded-for': '198.51.100.1' } }))).action).toBe('respond');
    expect((await trusted.handle(req({ ip: '10.0.0.1', headers: { 'x-forwarded-for': '198.51.100.2' } }))).action).toBe('continue');
  });

  it('shares one bucket in shared mode, under the anonymous tier', async () => {
    const { http } = limiter({ anonymous: { mode: 'shared', tier: 'basic' } });
    const outcomes = [];
    for (let i = 0; i < 41; i++) outcomes.push(await http.handle(req({ ip: `198.51.100.${i}` })));
    expect(outcomes.filter((o) => o.action === 'respond')).toHaveLength(1);
    expect(continued(outcomes[0] as HttpOutcome).decision?.metadata.tier).toBe('basic');
  });

  it('answers 400 tenant_required in reject mode', async () => {
    const { http } = limiter({ anonymous: 'reject' });
    const r = responded(await http.handle(req()));
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({
      type: 'https://aurum.api/errors/tenant_required',
      detail: 'A tenant is required: send x-tenant-id or x-aurum-tenant',
    });
  });

  it('groups requests without a usable address together', async () => {
    const { http } = limiter();
    await run(http, req({ ip: undefined }), 10);
    expect((await http.handle(req({ ip: 'not-an-ip' }))).action).toBe('respond');
  });

  it('groups IPv4 by a configured prefix', async () => {
    const { http } = limiter({ anonymous: { ipv4Prefix: 24 } });
    await run(http, req({ ip: '198.51.100.1' }), 10);
    expect((await http.handle(req({ ip: '198.51.100.200' }))).action).toBe('respond');
    expect((await http.handle(req({ ip: '198.51.101.1' }))).action).toBe('continue');
  });
});

describe('HttpRateLimiter.handle: resolveTenant', () => {
  it('takes the tenant from the hook', async () => {
    const { http } = limiter({ resolveTenant: (raw) => raw.user });
    const o = continued(await http.handle(req({ raw: { user: 'acme-corp' } })));
    expect(o.decision?.metadata.tenantId).toBe('acme-corp');
  });

  it('ignores tenant headers when only the hook is set', async () => {
    const { http } = limiter({ resolveTenant: async () => undefined });
    expect(http.config.tenantHeaders).toEqual([]);
    const o = continued(await http.handle(req({ headers: { 'x-tenant-id': 'forged' } })));
    expect(o.decision?.metadata).toMatchObject({ anonymous: true, tenantId: 'anonymous' });
    // Not even an invalid header is looked at.
    expect((await http.handle(req({ headers: { 'x-tenant-id': '' } }))).action).toBe('continue');
  });

  it('reads headers after the hook when both are configured', async () => {
    const { http } = limiter({ resolveTenant: (raw) => raw.user ?? null, tenantHeaders: ['X-Tenant-ID'] });
    expect(continued(await http.handle(req({ raw: { user: 'hooked' }, headers: { 'x-tenant-id': 'header' } }))).decision?.metadata.tenantId).toBe('hooked');
    expect(continued(await http.handle(req({ headers: { 'x-tenant-id': 'header' } }))).decision?.metadata.tenantId).toBe('header');
  });

  it('answers 400 when the hook returns an invalid id', async () => {
    const { http } = limiter({ resolveTenant: () => 'not valid' });
    expect(responded(await http.handle(req())).status).toBe(400);
  });

  it('treats a throwing hook as no tenant, and logs it', async () => {
    const { http, log } = limiter({
      resolveTenant: () => {
        throw new Error('auth down');
      },
    });
    expect(continued(await http.handle(req())).decision?.metadata.anonymous).toBe(true);
    expect(log.lines.some((l) => l.level === 'warn' && /resolveTenant threw/.test(l.msg ?? ''))).toBe(true);
  });
});

describe('HttpRateLimiter.handle: concurrency', () => {
  it('answers 429 concurrency_limit_exceeded while the slots are held, and frees them on release', async () => {
    const { http } = limiter({ tiers: { free: { maxConcurrentRequests: 1 } } });
    const first = continued(await http.handle(acme()));
    const second = responded(await http.handle(acme({ 'x-request-id': 'c-2' })));
    expect(second.status).toBe(429);
    expect(second.headers).toMatchObject({ 'Retry-After': '1', 'X-Concurrency-Limit': '1', 'X-RateLimit-Tenant': 'acme-corp', 'X-RateLimit-Tier': 'free' });
    expect(second.json).toEqual({
      error: {
        type: 'https://aurum.api/errors/concurrency_limit_exceeded',
        title: 'Concurrency Limit Exceeded',
        detail: 'Too many concurrent requests for tenant acme-corp',
        retry_after: 1,
        instance: 'c-2',
      },
    });
    await first.release?.();
    await first.release?.();
    const third = continued(await http.handle(acme()));
    expect((await http.handle(acme())).action).toBe('respond');
    await third.release?.();
  });

  it('holds no slot with concurrency: false', async () => {
    const { http } = limiter({ concurrency: false, tiers: { free: { maxConcurrentRequests: 1 } } });
    const a = continued(await http.handle(acme()));
    const b = continued(await http.handle(acme()));
    expect(a.release).toBeUndefined();
    expect(b.decision?.allowed).toBe(true);
  });
});

describe('HttpRateLimiter.handle: hooks, modes and failures', () => {
  it('skips limiting when skip says so', async () => {
    const skip = vi.fn((raw: Raw) => raw.user === 'health-check');
    const { http } = limiter({ skip });
    expect(await http.handle(req({ raw: { user: 'health-check' }, headers: { 'x-tenant-id': 'bad id' } }))).toEqual({ action: 'continue', headers: {} });
    expect((await http.handle(acme())).action).toBe('continue');
    expect(skip).toHaveBeenCalledTimes(2);
  });

  it('continues without headers on a skip route', async () => {
    const { http } = limiter({ routes: [{ path: '/health', skip: true }] });
    expect(await http.handle(req({ url: '/health?deep=1', headers: { 'x-tenant-id': 'acme' } }))).toEqual({ action: 'continue', headers: {} });
  });

  it('charges the cost the hook returns, and route costs otherwise', async () => {
    const { http } = limiter({ cost: (raw) => raw.weight, routes: [{ path: '/v1/export', cost: 4 }] });
    const o = continued(await http.handle(req({ raw: { weight: 3 }, headers: { 'x-tenant-id': 'acme' } })));
    expect(o.decision?.metadata.cost).toBe(3);
    const o2 = continued(await http.handle(req({ url: '/v1/export', headers: { 'x-tenant-id': 'acme' } })));
    expect(o2.decision?.metadata.cost).toBe(4);
  });

  it('passes the framework route on as the label', async () => {
    const { http } = limiter();
    const o = continued(await http.handle({ ...acme(), url: '/v1/users/42', route: '/v1/users/:id' }));
    expect(o.decision?.metadata.route).toBe('/v1/users/:id');
  });

  it('never blocks in shadow mode but still sends the headers', async () => {
    const { http } = limiter({ shadow: true });
    const outcomes = await run(http, acme(), 12);
    expect(outcomes.every((o) => o.action === 'continue')).toBe(true);
    const last = continued(outcomes[11] as HttpOutcome);
    expect(last.headers['X-RateLimit-Remaining']).toBe('0');
    expect(last.decision?.metadata.exceeded).toBe(true);
  });

  it('sends only what a denial needs with headers: false', async () => {
    const { http } = limiter({ headers: false });
    const outcomes = await run(http, acme(), 11);
    expect(continued(outcomes[0] as HttpOutcome).headers).toEqual({});
    expect(Object.keys(responded(outcomes[10] as HttpOutcome).headers).sort()).toEqual([
      'Content-Type',
      'Retry-After',
      'X-RateLimit-Tenant',
      'X-RateLimit-Tier',
    ]);
  });

  it('answers 503 service_overloaded when the load-reduced limit is reached', async () => {
    const { http, clock } = limiter({ load: { signal: () => 1, smoothingMs: 0 } });
    await run(http, acme(), 10);
    clock.advance(1000);
    const r = responded(await http.handle(acme()));
    expect(r.status).toBe(503);
    expect(r.json.error).toMatchObject({ type: 'https://aurum.api/errors/service_overloaded' });
    expect(Number(r.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
  });

  it('uses the configured shed status', async () => {
    const { http } = limiter({ load: { signal: () => 1, smoothingMs: 0, shedStatus: 429 } });
    const outcomes = await run(http, acme(), 11);
    expect(responded(outcomes[10] as HttpOutcome).status).toBe(429);
  });

  it('answers 503 when the store is down with failMode closed', async () => {
    const clock = new FakeClock();
    const store = new ScriptedStore(clock);
    store.mode = 'fail';
    const { http } = limiter({ store, failMode: 'closed', clock });
    const r = responded(await http.handle(acme()));
    expect(r.status).toBe(503);
    expect(r.headers['Retry-After']).toBe('1');
    expect(r.json.error).toMatchObject({ type: 'https://aurum.api/errors/rate_limiter_unavailable' });
  });

  it('never turns a store failure into a 429 with the default fallback', async () => {
    const clock = new FakeClock();
    const store = new ScriptedStore(clock);
    store.mode = 'fail';
    const { http } = limiter({ store, clock });
    const o = continued(await http.handle(acme()));
    expect(o.decision?.metadata.source).toBe('fallback');
  });

  it('limits with the route cost when the cost hook throws or answers a bad cost, and logs once per interval', async () => {
    for (const cost of [
      () => {
        throw new Error('cost hook broke');
      },
      () => 0,
      () => 'five' as unknown as number,
      () => Number.NaN,
    ]) {
      const { http, log } = limiter({ cost });
      const statuses = [];
      for (let i = 0; i < 11; i++) {
        const outcome = await http.handle(acme());
        statuses.push(outcome.action === 'respond' ? outcome.status : 200);
      }
      expect(statuses).toEqual([...Array(10).fill(200), 429]);
      expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    }
  });

  it('limits the request when the skip hook throws', async () => {
    const { http, log } = limiter({
      skip: () => {
        throw new Error('skip hook broke');
      },
    });
    const outcome = await http.handle(acme());
    expect(outcome.action === 'continue' && outcome.decision?.metadata.remaining).toBe(9);
    expect(log.lines.some((l) => l.level === 'error')).toBe(true);
  });

  it('answers 503 when the limiter itself fails, and lets the request through only with failMode open', async () => {
    // A bug on the synchronous path (the memory store decides without a promise) and on the asynchronous one.
    const bugs = [
      (manager: RateLimitManager) => {
        manager.admitSync = () => {
          throw new TypeError('bug');
        };
      },
      (manager: RateLimitManager) => {
        manager.admitSync = () => undefined;
        manager.admit = () => Promise.reject(new TypeError('bug'));
      },
    ];
    for (const bug of bugs) {
      const broken = limiter();
      bug(broken.http.manager);
      const outcome = await broken.http.handle(acme());
      expect(outcome).toMatchObject({ action: 'respond', status: 503, headers: { 'Retry-After': '1' } });
      expect(broken.log.lines.filter((l) => l.level === 'error')).toHaveLength(1);

      const open = limiter({ failMode: 'open' });
      bug(open.http.manager);
      expect(await open.http.handle(acme())).toEqual({ action: 'continue', headers: {} });
    }
  });
});

describe('HttpRateLimiter lifecycle', () => {
  it('closes a manager it created, but not one it was given', async () => {
    const own = limiter().http;
    await own.close();
    expect(await rejected(own.manager.checkRateLimit('acme'))).toBeInstanceOf(ClosedError);

    const manager = createRateLimitManager({ env: false, load: { enabled: false } });
    const given = createHttpRateLimiter({ manager });
    await given.close();
    expect((await manager.checkRateLimit('acme')).allowed).toBe(true);
  });

  it('handleAdmin ignores paths outside the admin prefix, and everything when admin is off', async () => {
    const { http } = limiter({ admin: { token: 'test-admin-token-0123' } });
    expect(await http.handleAdmin({ method: 'GET', path: '/v1/items', headers: {} })).toBeUndefined();
    expect(await http.handleAdmin({ method: 'GET', path: '/admin/ratelimitx', headers: {} })).toBeUndefined();
    const off = limiter({ admin: false }).http;
    expect(await off.handleAdmin({ method: 'GET', path: '/admin/ratelimit/health', headers: {} })).toBeUndefined();
  });
});
