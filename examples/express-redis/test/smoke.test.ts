import type { Server } from 'node:http';
import { type RedisServer, request, startRedisServer, waitFor, exampleTestOptions } from '@aurum/ratelimit-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript example
import { createApp } from '../app.mjs';

describe('express-redis example', () => {
  let redis: RedisServer;
  let server: Server;
  let url: string;
  let limiter: { close(): Promise<void>; manager: { health(): Promise<{ circuitBreaker: string }> } };

  beforeAll(async () => {
    redis = await startRedisServer();
    const built = createApp(exampleTestOptions(redis.url));
    limiter = built.limiter;
    const app = built.app as import('express').Express;
    server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await limiter?.close();
    await redis?.stop();
  });

  it('limits through Redis and keeps limiting from memory when Redis dies', async () => {
    await waitFor(async () => (await request(url, '/v1/scenarios', { headers: { 'x-tenant-id': 'warmup' } })).status === 200, 5000);
    const codes = [];
    for (let i = 0; i < 11; i++) codes.push((await request(url, '/v1/scenarios', { headers: { 'x-tenant-id': 'acme-corp' } })).status);
    expect(codes).toEqual([...Array(10).fill(200), 429]);
    expect(await redis.cli('EXISTS', 'aurum:rl:{acme-corp}:b')).toMatch(/1/);

    await redis.kill();
    const after = [];
    const globex = async () => after.push((await request(url, '/v1/scenarios', { headers: { 'x-tenant-id': 'globex' } })).status);
    for (let i = 0; i < 12; i++) await globex();
    // The breaker opens once half the calls in its 1 s window failed: the successes from before
    // the kill may still outweigh these failures, so traffic goes on until it has.
    await waitFor(async () => (await globex()) > 0 && (await limiter.manager.health()).circuitBreaker === 'open', 3000, 'the breaker to open');
    expect(after.filter((s) => s >= 500)).toEqual([]);
    expect(after.filter((s) => s === 429).length).toBeGreaterThan(0);
  });
});
