import { request as httpRequest } from 'node:http';
import { type DecisionEvent, type Logger, RateLimitConfigError } from '@aurum/ratelimit-core';
import { request, waitFor } from '@aurum/ratelimit-testkit';
import Router from '@koa/router';
import Koa from 'koa';
import Koa2 from 'koa2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAdminRouter, createRateLimitMiddleware, type KoaRateLimitOptions, type RateLimitMiddleware } from '../src/index.js';
import { type KoaClass, listen, testRouter } from './app.js';

const base = { env: false as const, load: { enabled: false } };
const TOKEN = 'a-long-admin-token-for-koa-tests';
const auth = { authorization: `Bearer ${TOKEN}` };
const cleanups: Array<() => Promise<void>> = [];

async function serve(app: Koa, ...limiters: Array<{ close(): Promise<void> }>): Promise<string> {
  const server = await listen(app);
  cleanups.push(async () => {
    await server.close();
    await Promise.all(limiters.map((l) => l.close()));
  });
  return server.url;
}

afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

function observed(options: KoaRateLimitOptions = {}): { limiter: RateLimitMiddleware; events: DecisionEvent[] } {
  const events: DecisionEvent[] = [];
  const limiter = createRateLimitMiddleware({ ...base, observer: { onDecision: (e) => events.push(e) }, ...options });
  return { limiter, events };
}

const get = (url: string, path: string, tenant: string, method = 'GET') => request(url, path, { method, headers: { 'x-tenant-id': tenant } });

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2 as KoaClass],
])('Koa adapter with @koa/router on %s', (_name, KoaApp) => {
  it('reports the route pattern, router prefix included, when mounted with router.use()', async () => {
    const { limiter, events } = observed();
    const app = new KoaApp();
    const v1 = new Router({ prefix: '/v1' });
    v1.use(limiter);
    v1.get('/items/:id', (ctx) => {
      ctx.body = { id: ctx.params.id };
    });
    v1.post('/items/:id/tags', (ctx) => {
      ctx.status = 201;
    });
    app.use(v1.routes());
    const url = await serve(app, limiter);
    expect((await get(url, '/v1/items/12345', 'routes')).status).toBe(200);
    expect((await get(url, '/v1/items/67890', 'routes', 'HEAD')).status).toBe(200);
    expect((await get(url, '/v1/items/1/tags', 'routes', 'POST')).status).toBe(201);
    expect(events.map((e) => e.route)).toEqual(['/v1/items/:id', '/v1/items/:id', '/v1/items/:id/tags']);
    expect(events[0]?.path).toBe('/v1/items/12345');
  });

  it('reports the route pattern when mounted on one route', async () => {
    const { limiter, events } = observed();
    const app = new KoaApp();
    const router = new Router();
    router.get('/users/:id', limiter, (ctx) => {
      ctx.body = 'ok';
    });
    app.use(router.routes());
    const url = await serve(app, limiter);
    const r = await get(url, '/users/42', 'one-route');
    expect(r.headers['x-ratelimit-remaining']).toBe('9');
    expect(events.map((e) => e.route)).toEqual(['/users/:id']);
  });

  it('gives routes their own cost and bucket with limiter.route(), counting each request once', async () => {
    const limiter = createRateLimitMiddleware(base);
    const app = new KoaApp();
    const router = testRouter(limiter);
    router.post('/exports', limiter.route({ cost: 5 }), (ctx) => {
      ctx.status = 202;
    });
    router.get('/search', limiter.route({ bucket: 'search' }), (ctx) => {
      ctx.body = [];
    });
    app.use(router.routes());
    const url = await serve(app, limiter);
    const exported = await get(url, '/exports', 'costly', 'POST');
    expect(exported.status).toBe(202);
    expect(exported.headers['x-ratelimit-remaining']).toBe('5');
    expect((await get(url, '/items/1', 'costly')).headers['x-ratelimit-remaining']).toBe('4');
    const search = await get(url, '/search', 'costly');
    expect(search.headers['x-ratelimit-remaining']).toBe('9');
    expect(search.headers['ratelimit-policy']).toBe('"free-search";q=10;w=2');
    expect((await get(url, '/ping', 'costly')).headers['x-ratelimit-remaining']).toBe('3');
  });

  it('limits a route by limiter.route() alone, without router.use()', async () => {
    const limiter = createRateLimitMiddleware(base);
    const app = new KoaApp();
    const router = testRouter();
    router.post('/exports', limiter.route({ cost: 4 }), (ctx) => {
      ctx.status = 202;
    });
    app.use(router.routes());
    const url = await serve(app, limiter);
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await get(url, '/exports', 'alone', 'POST')).status);
    expect(codes).toEqual([202, 202, 429]);
    expect((await get(url, '/ping', 'alone')).headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('refuses without calling the rest of the chain', async () => {
    const limiter = createRateLimitMiddleware({ ...base, tiers: { free: { burstSize: 1 } } });
    const app = new KoaApp();
    let handled = 0;
    app.use(limiter);
    app.use((ctx) => {
      handled++;
      ctx.body = 'ok';
    });
    const url = await serve(app, limiter);
    expect((await get(url, '/x', 'chain')).status).toBe(200);
    const denied = await get(url, '/x', 'chain');
    expect(denied.status).toBe(429);
    expect(denied.headers['content-type']).toMatch(/^application\/json/);
    expect(denied.headers['retry-after']).toBe('1');
    expect((denied.json as { error: { type: string } }).error.type).toBe('https://aurum.api/errors/rate_limit_exceeded');
    expect(handled).toBe(1);
  });

  it('releases the concurrency slot when the client aborts (router.use mount)', async () => {
    const limiter = createRateLimitMiddleware({ ...base, overrides: { aborter: { maxConcurrentRequests: 1 } } });
    const app = new KoaApp();
    const router = testRouter(limiter);
    app.use(router.routes());
    const url = await serve(app, limiter);
    const aborted = await request(url, '/slow?ms=3000', { headers: { 'x-tenant-id': 'aborter' }, abortAfterMs: 150 });
    expect(aborted.status).toBe(0);
    await waitFor(async () => (await get(url, '/ping', 'aborter')).status === 200, 1500, 'slot released on abort');
  });
});

describe('Koa adapter specifics', () => {
  it('folds ids in the path label when mounted app-wide, before routing', async () => {
    const { limiter, events } = observed();
    const app = new Koa();
    const router = new Router();
    router.get('/orders/:id', (ctx) => {
      ctx.body = 'ok';
    });
    app.use(limiter);
    app.use(router.routes());
    const url = await serve(app, limiter);
    await get(url, '/orders/9f1c2d3e-1111-4222-8333-444455556666?x=1', 'labels');
    expect(events[0]?.route).toBe('/orders/:id');
  });

  it('falls back to ctx._matchedRoute from routers that leave no ctx.matched', async () => {
    const { limiter, events } = observed();
    const app = new Koa();
    app.use(async (ctx, next) => {
      Object.assign(ctx, { _matchedRoute: '/legacy/:id' });
      await next();
    });
    app.use(limiter);
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    const url = await serve(app, limiter);
    await get(url, '/legacy/1', 'legacy');
    expect(events[0]?.route).toBe('/legacy/:id');
  });

  it('counts a request once when the limiter is mounted twice, and warns when route limits come too late', async () => {
    const warn = vi.fn();
    const logger: Logger = { debug() {}, info() {}, warn, error() {} };
    const limiter = createRateLimitMiddleware({ ...base, logger });
    const app = new Koa();
    const router = testRouter(limiter);
    router.post('/exports', limiter.route({ cost: 5 }), (ctx) => {
      ctx.status = 202;
    });
    app.use(limiter);
    app.use(router.routes());
    const url = await serve(app, limiter);
    expect((await get(url, '/ping', 'twice')).headers['x-ratelimit-remaining']).toBe('9');
    expect((await get(url, '/exports', 'twice', 'POST')).headers['x-ratelimit-remaining']).toBe('8');
    await get(url, '/exports', 'twice', 'POST');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[1]).toMatch(/router\.use/);
  });

  it('fails at creation on bad options, naming every problem', () => {
    let error: unknown;
    try {
      createRateLimitMiddleware({ ...base, tiers: { free: { burstSize: 0 } }, anonymous: 'nobody' as never });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect((error as RateLimitConfigError).issues.map((i) => i.key)).toEqual(['tiers.free.burstSize', 'anonymous.mode']);
    const limiter = createRateLimitMiddleware(base);
    expect(() => createRateLimitMiddleware({ manager: limiter.manager, tiers: {} })).toThrow(/cannot be combined with manager/);
    expect(createRateLimitMiddleware({ manager: limiter.manager }).manager).toBe(limiter.manager);
    try {
      limiter.route({ cost: 0.5, bucket: 'no spaces', cots: 2 } as never);
      error = undefined;
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect((error as RateLimitConfigError).issues.map((i) => i.key)).toEqual(['route().cots', 'route().cost', 'route().bucket']);
    expect(() => limiter.route({ bucket: 'default' })).toThrow(RateLimitConfigError);
    return limiter.close();
  });

  it('never answers 500 when a user hook throws', async () => {
    const boom = () => {
      throw new Error('boom');
    };
    const limiters = [
      createRateLimitMiddleware({ ...base, cost: boom }),
      createRateLimitMiddleware({ ...base, skip: boom }),
      createRateLimitMiddleware({ ...base, skip: async () => Promise.reject(new Error('async boom')) }),
      createRateLimitMiddleware({ ...base, resolveTenant: boom }),
    ];
    for (const limiter of limiters) {
      const app = new Koa();
      app.use(limiter);
      app.use((ctx) => {
        ctx.body = 'ok';
      });
      const url = await serve(app, limiter);
      expect((await get(url, '/x', 'hooks')).status).toBe(200);
    }
  });

  describe('admin API', () => {
    const override = '/admin/ratelimit/tenants/acme/override';

    it('reads the raw body when no body parser ran, bounded to 64 KB', async () => {
      const limiter = createRateLimitMiddleware({ ...base, admin: { token: TOKEN } });
      const app = new Koa();
      app.use(limiter);
      const url = await serve(app, limiter);
      const put = await request(url, override, { method: 'PUT', headers: auth, body: { burstSize: 3 } });
      expect(put.status).toBe(200);
      expect(put.json).toMatchObject({ tenantId: 'acme', override: { burstSize: 3 } });
      expect((await request(url, override, { method: 'PUT', headers: auth, body: 'not json' })).status).toBe(400);
      // Valid JSON either way; only the size differs.
      const padded = (kb: number) => `{"burstSize":5}${' '.repeat(kb * 1024)}`;
      expect((await request(url, override, { method: 'PUT', headers: auth, body: padded(60) })).status).toBe(200);
      expect((await request(url, override, { method: 'PUT', headers: auth, body: padded(70) })).status).toBe(400);
      expect((await request(url, '/admin/ratelimit/health', { headers: auth })).status).toBe(200);
    });

    it('stops reading a chunked body past 64 KB and still answers', async () => {
      const limiter = createRateLimitMiddleware({ ...base, admin: { token: TOKEN } });
      const app = new Koa();
      app.use(limiter);
      const { port } = new URL(await serve(app, limiter));
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, method: 'PUT', path: override, headers: { ...auth, 'transfer-encoding': 'chunked' }, agent: false },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        // Valid JSON, 120 KB, with no Content-Length: only the running count can refuse it.
        req.write('{"burstSize":5}');
        for (let i = 0; i < 3; i++) req.write(' '.repeat(40 * 1024));
        req.end();
      });
      expect(status).toBe(400);
    });

    it('reads ctx.request.body when a body parser set it', async () => {
      const limiter = createRateLimitMiddleware({ ...base, admin: { token: TOKEN } });
      const app = new Koa();
      // A minimal JSON body parser, as koa-bodyparser / @koa/bodyparser would leave it.
      app.use(async (ctx, next) => {
        if (ctx.is('application/json')) {
          const chunks: Buffer[] = [];
          for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
          (ctx.request as { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        }
        await next();
      });
      app.use(limiter);
      const url = await serve(app, limiter);
      const put = await request(url, override, { method: 'PUT', headers: auth, body: { burstSize: 4 } });
      expect(put.status).toBe(200);
      expect(put.json).toMatchObject({ override: { burstSize: 4 } });
      expect((await request(url, override, { method: 'PUT', headers: auth, body: [1, 2] })).status).toBe(400);
    });

    it('mounts alone with createAdminRouter, beside a limiter that only sees routed requests', async () => {
      const limiter = createRateLimitMiddleware({ ...base, admin: { token: TOKEN } });
      const app = new Koa();
      const router = testRouter(limiter);
      app.use(createAdminRouter(limiter));
      app.use(router.routes());
      app.use((ctx) => {
        ctx.status = 418;
      });
      const url = await serve(app, limiter);
      expect((await request(url, '/admin/ratelimit/health', { headers: auth })).json).toMatchObject({ status: 'ok' });
      const put = await request(url, override, { method: 'PUT', headers: auth, body: { burstSize: 2 } });
      expect(put.status).toBe(200);
      expect((await get(url, '/ping', 'acme')).headers['x-ratelimit-limit']).toBe('2');
      expect((await request(url, '/elsewhere')).status).toBe(418);
      expect(() => createAdminRouter({ ...base, admin: false })).toThrow(/disabled/);
    });

    it('builds its own manager from options and closes it', async () => {
      const admin = createAdminRouter({ ...base, admin: { token: TOKEN, prefix: '/ops' } });
      const app = new Koa();
      app.use(admin);
      const url = await serve(app, admin);
      expect((await request(url, '/ops/quotas', { headers: auth })).json).toMatchObject({ tiers: { free: { burstSize: 10 } } });
      expect((await request(url, '/ops/quotas')).status).toBe(401);
    });
  });
});
