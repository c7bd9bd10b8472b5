/** Issue 14, Koa specifics: the `handler` option's validation and its asynchronous failures. */
import { RateLimitConfigError } from '@aurum/ratelimit-core';
import { request } from '@aurum/ratelimit-testkit';
import Koa from 'koa';
import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimitMiddleware, type KoaRateLimitOptions } from '../src/index.js';
import { listen } from './app.js';

const base = { env: false as const, load: { enabled: false }, tiers: { free: { burstSize: 1 } }, logger: { debug() {}, info() {}, warn() {}, error() {} } };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((close) => close()));
});

async function serve(options: KoaRateLimitOptions): Promise<string> {
  const app = new Koa();
  const limiter = createRateLimitMiddleware({ ...base, ...options });
  app.use(limiter);
  app.use((ctx) => {
    ctx.body = 'ok';
  });
  const server = await listen(app);
  cleanups.push(async () => {
    await server.close();
    await limiter.close();
  });
  return server.url;
}

describe('Koa refusal handler', () => {
  it('rejects a handler that is not a function', () => {
    expect(() => createRateLimitMiddleware({ ...base, handler: {} as never })).toThrow(RateLimitConfigError);
  });

  it('waits for an async handler, and sends the default refusal when it rejects', async () => {
    const waited = await serve({
      handler: async (ctx, info) => {
        await new Promise((r) => setImmediate(r));
        ctx.body = { later: info.retryAfter };
      },
    });
    const headers = { 'x-tenant-id': 'async-koa' };
    await request(waited, '/', { headers });
    const shaped = await request(waited, '/', { headers });
    expect(shaped.status).toBe(429);
    expect(shaped.json).toEqual({ later: 1 });

    const broken = await serve({
      handler: async () => {
        throw new Error('async failure');
      },
    });
    await request(broken, '/', { headers });
    const denied = await request(broken, '/', { headers });
    expect(denied.status).toBe(429);
    expect(denied.headers['retry-after']).toBe('1');
    expect((denied.json as { error: { type: string } }).error.type).toBe('https://aurum.api/errors/rate_limit_exceeded');
  });
});
