/** Issue 14, Express specifics: the `handler` option's validation and its asynchronous failures. */
import { RateLimitConfigError } from '@aurum/ratelimit-core';
import { request } from '@aurum/ratelimit-testkit';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimitMiddleware, type ExpressRateLimitOptions } from '../src/index.js';

const base = { env: false as const, load: { enabled: false }, tiers: { free: { burstSize: 1 } } };
const closers: Array<() => Promise<void>> = [];

async function serve(options: ExpressRateLimitOptions): Promise<string> {
  const app = express();
  const limiter = createRateLimitMiddleware({ ...base, ...options });
  app.use(limiter);
  app.get('/x', (_req, res) => res.send('ok'));
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await limiter.close();
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('Express refusal handler', () => {
  it('rejects a handler that is not a function', () => {
    expect(() => createRateLimitMiddleware({ ...base, handler: 'nope' } as never)).toThrow(RateLimitConfigError);
    expect(() => createRateLimitMiddleware({ ...base, handler: 'nope' } as never)).toThrow(/handler: must be a function/);
  });

  it('sends the default refusal when an async handler rejects before writing', async () => {
    const url = await serve({
      handler: async () => {
        throw new Error('async failure');
      },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const headers = { 'x-tenant-id': 'async-handler' };
    expect((await request(url, '/x', { headers })).status).toBe(200);
    const denied = await request(url, '/x', { headers });
    expect(denied.status).toBe(429);
    expect(denied.headers['retry-after']).toBe('1');
    expect((denied.json as { error: { type: string } }).error.type).toBe('https://aurum.api/errors/rate_limit_exceeded');
  });

  it('lets the handler pick another status; req.rateLimit describes the refusal', async () => {
    const url = await serve({ handler: (req, res) => res.status(503).send(`wait ${req.rateLimit?.retryAfter}`) });
    const headers = { 'x-tenant-id': 'own-status' };
    await request(url, '/x', { headers });
    const denied = await request(url, '/x', { headers });
    expect(denied.status).toBe(503);
    expect(denied.text).toBe('wait 1');
    expect(denied.headers['x-ratelimit-remaining']).toBe('0');
  });
});
