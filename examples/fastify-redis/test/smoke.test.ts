import { METRIC_NAMES } from '@aurum/ratelimit-prometheus';
import { parseMetrics, type RedisServer, request, type ScrapedMetrics, startRedisServer, waitFor, exampleTestOptions } from '@aurum/ratelimit-testkit';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript example
import { createApp } from '../app.mjs';

describe('fastify-redis example', () => {
  let redis: RedisServer;
  let app: FastifyInstance;
  let url: string;
  const tenant = (id: string) => ({ headers: { 'x-tenant-id': id } });
  const total = (labels: Record<string, string>, value: number) => ({ name: METRIC_NAMES.total, labels, value });

  /** Scrapes /metrics 12 times (a limited client without a tenant would get a 429 by the 11th) and parses the last. */
  async function scrape(): Promise<ScrapedMetrics> {
    const responses = [];
    for (let i = 0; i < 12; i++) responses.push(await request(url, '/metrics'));
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(200));
    const last = responses.at(-1)!;
    expect(last.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(last.headers['x-ratelimit-limit']).toBeUndefined();
    const metrics = parseMetrics(last.text);
    for (const name of Object.values(METRIC_NAMES)) expect(metrics.types.has(name), `# TYPE ${name}`).toBe(true);
    for (const sample of metrics.of(METRIC_NAMES.total)) expect(Object.keys(sample.labels).sort()).toEqual(['path', 'result', 'tenant', 'tier']);
    return metrics;
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    app = (await createApp(exampleTestOptions(redis.url))) as FastifyInstance;
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it('limits through Redis, honours route config, keeps limiting from memory when Redis dies, and shows it all at /metrics', async () => {
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

    const before = await scrape();
    const totals = before.of(METRIC_NAMES.total);
    // acme-corp earned its own tenant label on its 5th request (promoteAfter: 5).
    expect(totals).toContainEqual(total({ result: 'allowed', path: '/v1/scenarios', tenant: 'other', tier: 'free' }, expect.any(Number)));
    expect(totals).toContainEqual(total({ result: 'allowed', path: '/v1/scenarios', tenant: 'acme-corp', tier: 'free' }, 6));
    expect(totals).toContainEqual(total({ result: 'limited', path: '/v1/scenarios', tenant: 'acme-corp', tier: 'free' }, 1));
    // The route pattern, not the raw URL /v1/scenarios/42/export.
    expect(totals).toContainEqual(total({ result: 'allowed', path: '/v1/scenarios/:id/export', tenant: 'other', tier: 'free' }, 1));
    expect(new Set(totals.map((s) => s.labels.path))).toEqual(new Set(['/v1/scenarios', '/v1/scenarios/:id/export']));
    expect(before.of(METRIC_NAMES.circuitState)).toEqual([{ name: METRIC_NAMES.circuitState, labels: {}, value: 0 }]);
    expect(before.of(METRIC_NAMES.cacheFailures)).toEqual([]);
    expect(before.of(METRIC_NAMES.decisionsBySource).map((s) => s.labels.source)).toEqual(['primary']);

    await redis.kill();
    const after = [];
    const globex = async () => after.push((await request(url, '/v1/scenarios', tenant('globex'))).status);
    for (let i = 0; i < 12; i++) await globex();
    // The breaker opens once half the calls in its 1 s window failed: the successes from before
    // the kill may still outweigh these failures, so traffic goes on until it has.
    const adminHealth = async () =>
      (await request(url, '/admin/ratelimit/health', { headers: { authorization: 'Bearer demo-admin-token' } })).json as { circuitBreaker?: string };
    await waitFor(async () => (await globex()) > 0 && (await adminHealth()).circuitBreaker === 'open', 3000, 'the breaker to open');
    expect(after.filter((s) => s >= 500)).toEqual([]);
    expect(after.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(await adminHealth()).toMatchObject({ circuitBreaker: 'open' });

    // The breaker's state and the failed Redis calls show in the metrics.
    const broken = await scrape();
    expect(broken.of(METRIC_NAMES.circuitState)).toEqual([{ name: METRIC_NAMES.circuitState, labels: {}, value: 2 }]);
    const failures = broken.of(METRIC_NAMES.cacheFailures);
    expect(failures.reduce((sum, s) => sum + s.value, 0)).toBeGreaterThanOrEqual(2);
    for (const f of failures) expect(f.labels).toEqual({ operation: expect.any(String), kind: expect.stringMatching(/^(error|timeout)$/) });
    expect(broken.of(METRIC_NAMES.decisionsBySource).find((s) => s.labels.source === 'fallback')?.value).toBeGreaterThanOrEqual(12);
    expect(broken.of(METRIC_NAMES.total)).toContainEqual(
      total({ result: 'limited', path: '/v1/scenarios', tenant: 'globex', tier: 'free' }, expect.any(Number)),
    );
  });
});
