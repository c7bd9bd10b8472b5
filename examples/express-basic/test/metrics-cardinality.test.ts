import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest, type Server } from 'node:http';
import { METRIC_NAMES, OTHER } from '@aurum/ratelimit-prometheus';
import { parseMetrics } from '@aurum/ratelimit-testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript example
import { createApp } from '../app.mjs';

/** GET /v1/scenarios once per entry of `tenants` (as X-Tenant-ID), `parallel` at a time, over keep-alive connections. */
async function flood(url: string, tenants: string[], parallel = 32): Promise<Map<number, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: parallel });
  const { hostname, port } = new URL(url);
  const statuses = new Map<number, number>();
  const get = (tenant: string) =>
    new Promise<number>((resolve, reject) => {
      const req = httpRequest({ host: hostname, port, path: '/v1/scenarios', agent, headers: { 'x-tenant-id': tenant } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  let next = 0;
  const worker = async () => {
    while (next < tenants.length) {
      const status = await get(tenants[next++] as string);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  try {
    await Promise.all(Array.from({ length: parallel }, worker));
  } finally {
    agent.destroy();
  }
  return statuses;
}

describe('express-basic example: tenant label cardinality through the Express adapter', () => {
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const { app, limiter } = createApp({ env: false, load: { enabled: false } });
    const server = await new Promise<Server>((resolve) => {
      const s: Server = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    close = async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await limiter.close();
    };
  });
  afterAll(() => close());

  it('10,000 random tenant ids, then 120 heavy hitters, yield at most 100 tenant label values plus "other"', async () => {
    const random = Array.from({ length: 10_000 }, () => `rnd-${randomBytes(8).toString('hex')}`);
    expect(await flood(url, random)).toEqual(new Map([[200, 10_000]]));
    // 120 tenants with 5 requests each: each one earns its own label (promoteAfter: 5), up to the cap of 100.
    const heavy = Array.from({ length: 120 }, (_, i) => `heavy-${i}`);
    expect(
      await flood(
        url,
        heavy.flatMap((t) => Array(5).fill(t)),
      ),
    ).toEqual(new Map([[200, 600]]));

    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const totals = parseMetrics(text).of(METRIC_NAMES.total);
    const tenants = new Set(totals.map((s) => s.labels.tenant));
    expect(tenants.size).toBe(101);
    expect(tenants).toContain(OTHER);
    expect([...tenants].filter((t) => t?.startsWith('rnd-'))).toEqual([]);
    expect([...tenants].filter((t) => t?.startsWith('heavy-'))).toHaveLength(100);
    // Every decision is still counted, in the bounded series.
    expect(totals.reduce((sum, s) => sum + s.value, 0)).toBe(10_600);
    expect(totals.length).toBeLessThanOrEqual(101);
    expect(text.length).toBeLessThan(64 * 1024);
  }, 60_000);
});
