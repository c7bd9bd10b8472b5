// The HTTP servers of suites 3 and 4: one route, GET /v1/items/:id → a small JSON body, on
// Express, Fastify, Koa or NestJS, bare, with our adapter, or with the framework's usual peer
// limiter, on a memory or Redis store. Tenant = the X-Tenant-ID header (for every limiter).
import 'reflect-metadata';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const TENANT_HEADER = 'x-tenant-id';
export const PATH_PREFIX = '/v1/items/';

/** Limits that never deny during a run: we measure the cost of deciding. */
export const HUGE = { requestsPerSecond: 1e6, burstSize: 1e9, maxConcurrentRequests: 1e6 };
const HUGE_TIERS = { free: HUGE, basic: HUGE, premium: HUGE, enterprise: HUGE };
const WINDOW_MS = 60_000;
const HUGE_MAX = 1e9;

/**
 * `limit`: requests per second each tenant may make (suite 4), or undefined for huge limits.
 * Peers count fixed windows of one second then; ours is a token bucket of `limit`/s, burst `limit`.
 */
function limits(limit) {
  if (limit === undefined) return { ours: { tiers: HUGE_TIERS }, windowMs: WINDOW_MS, max: HUGE_MAX };
  const q = { requestsPerSecond: limit, burstSize: limit, maxConcurrentRequests: 1e6 };
  return { ours: { tiers: { free: q, basic: q, premium: q, enterprise: q } }, windowMs: 1000, max: limit };
}

async function redisClient(url) {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  await new Promise((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  return client;
}

async function ourOptions({ store, redisUrl, limit, concurrency }) {
  const options = { env: false, ...limits(limit).ours };
  if (concurrency === false) options.concurrency = false;
  if (store === 'redis') {
    const { createRedisStoreFromUrl } = await import('@aurum/ratelimit-redis');
    const redis = createRedisStoreFromUrl(redisUrl);
    await redis.waitForConnection();
    options.store = redis;
  }
  return options;
}

const tenantOf = (headers) => headers[TENANT_HEADER] ?? 'anonymous';

/** Builds and starts a server; resolves with { server (node http.Server), close() }. */
export async function startApp({ framework, variant, store = 'memory', redisUrl, limit }) {
  const build = BUILDERS[framework];
  if (!build) throw new Error(`unknown framework ${framework}`);
  return build({ variant, store, redisUrl, limit });
}

const BUILDERS = {
  async express({ variant, store, redisUrl, limit }) {
    const { default: express } = await import('express');
    const app = express();
    const closers = [];
    if (variant === 'ours' || variant === 'ours-noconc') {
      const { createRateLimitMiddleware } = await import('@aurum/ratelimit-express');
      const mw = createRateLimitMiddleware(await ourOptions({ store, redisUrl, limit, concurrency: variant === 'ours-noconc' ? false : undefined }));
      closers.push(() => mw.close());
      app.use(mw);
    } else if (variant === 'peer' || variant === 'peer-rlf') {
      const l = limits(limit);
      if (variant === 'peer-rlf') {
        // rate-limiter-flexible has no middleware of its own; this is the one its README shows.
        const { RateLimiterMemory, RateLimiterRedis } = await import('rate-limiter-flexible');
        const opts = { points: l.max, duration: l.windowMs / 1000 };
        let limiter;
        if (store === 'redis') {
          const client = await redisClient(redisUrl);
          closers.push(() => client.quit());
          limiter = new RateLimiterRedis({ storeClient: client, ...opts });
        } else limiter = new RateLimiterMemory(opts);
        app.use((req, res, next) => {
          limiter
            .consume(tenantOf(req.headers))
            .then(() => next())
            .catch(() => res.status(429).send('Too Many Requests'));
        });
      } else {
        const { rateLimit } = await import('express-rate-limit');
        const options = { windowMs: l.windowMs, limit: l.max, keyGenerator: (req) => tenantOf(req.headers) };
        if (store === 'redis') {
          const { RedisStore } = await import('rate-limit-redis');
          const client = await redisClient(redisUrl);
          closers.push(() => client.quit());
          options.store = new RedisStore({ sendCommand: (...args) => client.call(...args) });
        }
        app.use(rateLimit(options));
      }
    }
    app.get(`${PATH_PREFIX}:id`, (req, res) => {
      res.json({ id: req.params.id, ok: true });
    });
    const server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return { server, close: () => closeAll(server, closers) };
  },

  async fastify({ variant, store, redisUrl, limit }) {
    const { default: Fastify } = await import('fastify');
    const app = Fastify({ logger: false });
    if (variant === 'ours') {
      const { aurumRateLimit } = await import('@aurum/ratelimit-fastify');
      await app.register(aurumRateLimit, await ourOptions({ store, redisUrl, limit }));
    } else if (variant === 'peer') {
      const { default: fastifyRateLimit } = await import('@fastify/rate-limit');
      const l = limits(limit);
      const options = { max: l.max, timeWindow: l.windowMs, keyGenerator: (req) => tenantOf(req.headers) };
      if (store === 'redis') {
        const client = await redisClient(redisUrl);
        app.addHook('onClose', () => client.quit());
        options.redis = client;
      }
      await app.register(fastifyRateLimit, options);
    }
    app.get(`${PATH_PREFIX}:id`, async (req) => ({ id: req.params.id, ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { server: app.server, close: () => app.close() };
  },

  async koa({ variant, store, redisUrl, limit }) {
    const { default: Koa } = await import('koa');
    const { default: Router } = await import('@koa/router');
    const app = new Koa();
    const router = new Router();
    const closers = [];
    if (variant === 'ours') {
      const { createRateLimitMiddleware } = await import('@aurum/ratelimit-koa');
      const mw = createRateLimitMiddleware(await ourOptions({ store, redisUrl, limit }));
      closers.push(() => mw.close());
      app.use(mw);
    } else if (variant === 'peer') {
      const ratelimit = require('koa-ratelimit');
      const l = limits(limit);
      const options = { duration: l.windowMs, max: l.max, id: (ctx) => tenantOf(ctx.headers) };
      if (store === 'redis') {
        const client = await redisClient(redisUrl);
        closers.push(() => client.quit());
        app.use(ratelimit({ ...options, driver: 'redis', db: client }));
      } else {
        app.use(ratelimit({ ...options, driver: 'memory', db: new Map() }));
      }
    }
    router.get(`${PATH_PREFIX}:id`, (ctx) => {
      ctx.body = { id: ctx.params.id, ok: true };
    });
    app.use(router.routes());
    const server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    return { server, close: () => closeAll(server, closers) };
  },

  async nestjs({ variant, store, redisUrl, limit }) {
    const common = await import('@nestjs/common');
    const { NestFactory, APP_GUARD } = await import('@nestjs/core');
    // Plain JavaScript: apply the decorators by hand, as TypeScript would.
    class ItemsController {
      get(id) {
        return { id, ok: true };
      }
    }
    common.Controller(PATH_PREFIX.slice(1, -1))(ItemsController);
    common.Param('id')(ItemsController.prototype, 'get', 0);
    common.Get(':id')(ItemsController.prototype, 'get', Object.getOwnPropertyDescriptor(ItemsController.prototype, 'get'));
    const imports = [];
    const providers = [];
    if (variant === 'ours') {
      const { RateLimitModule } = await import('@aurum/ratelimit-nestjs');
      imports.push(RateLimitModule.forRoot({ global: true, ...(await ourOptions({ store, redisUrl, limit })) }));
    } else if (variant === 'peer') {
      if (store === 'redis') throw new Error('@nestjs/throttler has no Redis storage among the pinned packages');
      const { ThrottlerModule, ThrottlerGuard } = await import('@nestjs/throttler');
      const l = limits(limit);
      imports.push(ThrottlerModule.forRoot({ throttlers: [{ ttl: l.windowMs, limit: l.max }], getTracker: (req) => tenantOf(req.headers) }));
      providers.push({ provide: APP_GUARD, useClass: ThrottlerGuard });
    }
    class AppModule {}
    common.Module({ imports, controllers: [ItemsController], providers })(AppModule);
    const app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    return { server: app.getHttpServer(), close: () => app.close() };
  },
};

async function closeAll(server, closers) {
  server.closeAllConnections?.();
  await new Promise((resolve) => server.close(() => resolve()));
  for (const close of closers) await close();
}
