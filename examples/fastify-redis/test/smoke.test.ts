import { type RedisServer, request, startRedisServer, waitFor } from '@aurum/ratelimit-testkit';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript example
import { createApp } from '../app.mjs';

describe('fastify-redis example', () => {
  let redis: RedisServer;
  let app: FastifyInstance;
  let url: string;
  const tenant = (id: string) => ({ headers: { 'x-tenant-id': id } });

  beforeAll(async () => {
    redis = await startRedisServer();
    app = (await createApp({
      redisUrl: redis.url,
      env: false,
      load: { enabled: false },
      storeTimeoutMs: 50,
      circuitBreaker: { failureThreshold: 2 },
    })) as FastifyInstance;
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('limits through Redis, honours route config, and keeps limiting from memory when Redis dies', async () => {
    await waitFor(async () => (await request(url, '/v1/scenarios', tenant('warmup'))).status === 200, 5000);
    const codes = [];
    for (let i = 0; i < 11; i++) codes.push((await request(url, '/v1/scenarios', tenant('acme-corp'))).status);
    expect(codes).toEqual([...Array(10).fill(200), 429]);
    expect(await redis.cli('EXISTS', 'aurum:rl:{acme-corp}:b')).toMatch(/1/);

    const exported = await request(url, '/v1/scenarios/42/export', tenant('initech'));
    expect(exported.status).toBe(200);
    expect(exported.headers['x-ratelimit-remaining']).toBe('5');
    const health = await request(url, '/healthz', tenant('acme-corp'));
    expect(health.status).toBe(200);
    expect(health.headers['x-ratelimit-limit']).toBeUndefined();

    await redis.kill();
    const after = [];
    for (let i = 0; i < 12; i++) after.push((await request(url, '/v1/scenarios', tenant('globex'))).status);
    expect(after.filter((s) => s >= 500)).toEqual([]);
    expect(after.filter((s) => s === 429).length).toBeGreaterThan(0);
    const admin = await request(url, '/admin/ratelimit/health', { headers: { authorization: 'Bearer demo-admin-token' } });
    expect(admin.json).toMatchObject({ circuitBreaker: 'open' });
  });
});
