import { createRateLimitManager, type DecisionEvent, RateLimitConfigError } from '@aurum/ratelimit-core';
import { pathLabel } from '@aurum/ratelimit-core/adapter';
import { request, SLOW_REFILL_TIERS, waitFor } from '@aurum/ratelimit-testkit';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { aurumRateLimit, type FastifyRateLimitOptions } from '../src/index.js';
import { addConformanceRoutes, closedAfterEach, FASTIFY_MAJORS, listen } from './app.js';

const base = { env: false as const, load: { enabled: false } };
const open = closedAfterEach();

const tenant = (id: string) => ({ headers: { 'x-tenant-id': id } });

describe.each(FASTIFY_MAJORS)('%s plugin specifics', (_name, factory) => {
  function create(options?: Record<string, unknown>): FastifyInstance {
    const app = factory(options);
    open.push(app);
    return app;
  }

  async function start(options: FastifyRateLimitOptions = {}, routes?: (app: FastifyInstance) => void): Promise<{ app: FastifyInstance; url: string }> {
    const app = create();
    await app.register(aurumRateLimit, { ...base, ...options });
    addConformanceRoutes(app);
    routes?.(app);
    return { app, url: (await listen(app)).url };
  }

  it('applies route config: cost, a separate bucket, skip and false', async () => {
    const { url } = await start({}, (app) => {
      app.get('/export', { config: { rateLimit: { cost: 3 } } }, async () => 'ok');
      app.get('/reports', { config: { rateLimit: { bucket: 'reports' } } }, async () => 'ok');
      app.get('/skipped', { config: { rateLimit: { skip: true } } }, async () => 'ok');
      app.get('/off', { config: { rateLimit: false } }, async () => 'ok');
    });
    expect((await request(url, '/export', tenant('cfg-cost'))).headers['x-ratelimit-remaining']).toBe('7');

    const reports = await request(url, '/reports', tenant('cfg-bucket'));
    expect(reports.headers['x-ratelimit-remaining']).toBe('9');
    expect((await request(url, '/reports', tenant('cfg-bucket'))).headers['x-ratelimit-remaining']).toBe('8');
    expect((await request(url, '/ping', tenant('cfg-bucket'))).headers['x-ratelimit-remaining']).toBe('9');

    for (const path of ['/skipped', '/off']) {
      const statuses = [];
      for (let i = 0; i < 12; i++) statuses.push((await request(url, path, tenant('cfg-skip'))).status);
      expect(statuses, path).toEqual(Array(12).fill(200));
      expect((await request(url, path, tenant('cfg-skip'))).headers['x-ratelimit-limit']).toBeUndefined();
    }
  });

  it('reports the route pattern, never the raw URL, to observers', async () => {
    const events: DecisionEvent[] = [];
    const { url } = await start({ observer: { onDecision: (e) => events.push(e) } });
    await request(url, '/items/12345', tenant('patterns'));
    await request(url, '/items/67890?x=1', tenant('patterns'));
    expect(events.map((e) => e.route)).toEqual(['/items/:id', '/items/:id']);
    // Unrouted requests are limited too; the core folds their path (Fastify's 404 route is no label).
    expect((await request(url, '/missing/12345', tenant('patterns'))).status).toBe(404);
    expect(events[2]?.route).toBe(pathLabel('/missing/12345'));
  });

  it('sets the headers (as strings) before the handler runs', async () => {
    const { url } = await start({}, (app) => {
      app.get('/seen', async (_request, reply) => ({ remaining: reply.getHeader('x-ratelimit-remaining') }));
    });
    expect((await request(url, '/seen', tenant('early-headers'))).json).toEqual({ remaining: '9' });
  });

  it('rejects a bad route config when the route is declared, naming the route and every problem', async () => {
    const app = create();
    await app.register(aurumRateLimit, base);
    let error: unknown;
    try {
      app.get('/bad', { config: { rateLimit: { cost: 0, bucket: 'no spaces', max: 5 } as never } }, async () => 'ok');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect((error as RateLimitConfigError).issues.map((i) => i.key)).toEqual([
      'GET /bad config.rateLimit.max',
      'GET /bad config.rateLimit.cost',
      'GET /bad config.rateLimit.bucket',
    ]);
    expect(() => app.get('/worse', { config: { rateLimit: 5 as never } }, async () => 'ok')).toThrow(/GET \/worse config\.rateLimit: must be \{ cost/);
  });

  it('rejects a bad route config in a child plugin at start-up', async () => {
    const app = create();
    await app.register(aurumRateLimit, base);
    app.register(async (child) => {
      child.post('/child', { config: { rateLimit: { skip: 'yes' as never } } }, async () => 'ok');
    });
    await expect(app.ready()).rejects.toThrow(/POST \/child config\.rateLimit\.skip: must be true or false/);
  });

  it('still honours the config of routes declared before the plugin loaded', async () => {
    const app = create();
    app.register(aurumRateLimit, base); // not awaited: onRoute never sees /early
    app.get('/early', { config: { rateLimit: { cost: 4 } } }, async () => 'ok');
    const { url } = await listen(app);
    expect((await request(url, '/early', tenant('early'))).headers['x-ratelimit-remaining']).toBe('6');
  });

  it('logs through fastify.log by default, and still limits the request when a user hook throws', async () => {
    const lines: string[] = [];
    const app = create({ logger: { level: 'warn', stream: { write: (line: string) => lines.push(line) } } });
    await app.register(aurumRateLimit, {
      ...base,
      cost: () => {
        throw new Error('boom');
      },
    });
    addConformanceRoutes(app);
    const { url } = await listen(app);
    const first = await request(url, '/ping', tenant('logs'));
    expect(first.status).toBe(200);
    expect(first.headers['x-ratelimit-remaining']).toBe('9');
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } });
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 50, msg: 'the cost option threw; using the route cost', err: expect.objectContaining({ message: 'boom' }) }),
    );
  });

  it('uses a logger given in the options instead', async () => {
    const logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
    const { app } = await start({ logger });
    expect(app.aurumRateLimit.manager.config.logger).toBe(logger);
  });

  it('releases the concurrency slot when the client aborts, and after a normal response', async () => {
    const id = 'aborting';
    const { app, url } = await start({ overrides: { [id]: { maxConcurrentRequests: 1 } } });
    const active = async () => (await app.aurumRateLimit.manager.getTenantStatus(id)).activeConcurrency;
    const aborted = await request(url, '/slow?ms=30000', { ...tenant(id), abortAfterMs: 200 });
    expect(aborted.status).toBe(0);
    await waitFor(async () => (await active()) === 0, 5000, 'slot released on abort');
    expect((await request(url, '/ping', tenant(id))).status).toBe(200);
    await waitFor(async () => (await active()) === 0, 5000, 'slot released on response');
  });

  it('covers routes in child plugins when registered once at the root', async () => {
    const events: DecisionEvent[] = [];
    const app = create();
    await app.register(aurumRateLimit, { ...base, tiers: SLOW_REFILL_TIERS, observer: { onDecision: (e) => events.push(e) } });
    app.register(
      async (child) => {
        child.get('/things/:id', async () => 'ok');
      },
      { prefix: '/v1' },
    );
    const { url } = await listen(app);
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await request(url, `/v1/things/${i}`, tenant('nested'))).status);
    expect(statuses).toEqual([...Array(10).fill(200), 429]);
    expect(events[0]?.route).toBe('/v1/things/:id');
  });

  it('limits only its own scope when registered inside a child plugin on purpose', async () => {
    const app = create();
    app.register(async (api) => {
      await api.register(aurumRateLimit, base);
      api.get('/api/x', async () => 'ok');
    });
    app.get('/public', async () => 'ok');
    const { url } = await listen(app);
    expect((await request(url, '/api/x', tenant('scoped'))).headers['x-ratelimit-limit']).toBe('10');
    expect((await request(url, '/public', tenant('scoped'))).headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('fails to start on bad plugin options with one typed error naming every problem', async () => {
    const app = create();
    app.register(aurumRateLimit, { ...base, tiers: { free: { burstSize: 0 } }, anonymous: 'nobody' as never });
    const error = await app.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RateLimitConfigError);
    expect((error as RateLimitConfigError).issues.map((i) => i.key)).toEqual(['tiers.free.burstSize', 'anonymous.mode']);

    const manager = createRateLimitManager(base);
    const clash = create();
    clash.register(aurumRateLimit, { manager, tiers: {} });
    await expect(clash.ready()).rejects.toThrow(/cannot be combined with manager/);
    await manager.close();
  });

  it('exposes the limiter, closes the manager it built, and leaves a given manager open', async () => {
    const { app } = await start();
    const close = vi.spyOn(app.aurumRateLimit.manager, 'close');
    await app.close();
    expect(close).toHaveBeenCalledTimes(1);

    const manager = createRateLimitManager(base);
    const shared = create();
    await shared.register(aurumRateLimit, { manager });
    expect(shared.aurumRateLimit.manager).toBe(manager);
    const kept = vi.spyOn(manager, 'close');
    await shared.close();
    expect(kept).not.toHaveBeenCalled();
    await manager.close();
  });

  it('refuses to be registered twice in one scope chain', async () => {
    const app = create();
    await app.register(aurumRateLimit, base);
    app.register(aurumRateLimit, base);
    await expect(app.ready()).rejects.toThrow(/aurumRateLimit/);
  });
});
