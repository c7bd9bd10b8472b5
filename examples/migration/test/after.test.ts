import type { Server } from 'node:http';
import 'reflect-metadata';
import { request } from '@aurum/ratelimit-testkit';
import { NestFactory } from '@nestjs/core';
import type { Express } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp as expressAfter } from '../src/express-rate-limit/after.js';
import { createApp as fastifyAfter } from '../src/fastify-rate-limit/after.js';
import { createApp as legacyApp } from '../src/legacy/single-limit.js';
import { AppModule as NestAfter } from '../src/nestjs-throttler/after.js';
import { createLimiter } from '../src/rate-limiter-flexible/after.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function listen(app: Express): Promise<string> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function statuses(url: string, n: number, headers: Record<string, string> = {}, path = '/v1/items'): Promise<number[]> {
  const out = [];
  for (let i = 0; i < n; i++) out.push((await request(url, path, { headers })).status);
  return out;
}

/**
 * Calls `send` until its first refusal and checks a token bucket's contract whatever the machine's
 * speed: the first `burst` calls pass, and after them no more pass than the tokens refilled
 * meanwhile (`perSecond`). An exact "burst, then refused" sequence assumes a fast machine: at 100/60
 * per second a starved CI lane can take the 600 ms a token needs to come back. Returns the refusal.
 */
async function burstThenRefused<T>(send: () => Promise<T>, passed: (answer: T) => boolean, burst: number, perSecond: number): Promise<T> {
  const started = performance.now();
  for (let calls = 0; calls <= 2 * burst + 10; calls++) {
    const answer = await send();
    if (passed(answer)) continue;
    const refilled = Math.ceil(((performance.now() - started) / 1000) * perSecond);
    expect(calls, 'calls passed before the first refusal').toBeGreaterThanOrEqual(burst);
    expect(calls, 'calls passed before the first refusal').toBeLessThanOrEqual(burst + refilled);
    return answer;
  }
  throw new Error(`no refusal after ${2 * burst + 10} calls with a burst of ${burst}`);
}

describe('migration guides: the "after" code does what the guide says', () => {
  it('express-rate-limit → 100 back to back per tenant, then 429; /health never limited', async () => {
    const url = await listen(expressAfter());
    const refused = await burstThenRefused(
      () => request(url, '/v1/items', { headers: { 'x-tenant-id': 'acme' } }),
      (r) => r.status === 200,
      100,
      100 / 60,
    );
    expect(refused.status).toBe(429);
    expect((await request(url, '/v1/items', { headers: { 'x-tenant-id': 'other' } })).status).toBe(200);
  });

  it('rate-limiter-flexible → the same allow/deny answers without exceptions', async () => {
    const limit = createLimiter();
    closers.push(() => limit.close());
    const refused = await burstThenRefused(
      () => limit('acme'),
      (answer) => answer.allowed,
      10,
      10,
    );
    expect(refused.retryAfterMs).toBeGreaterThan(0);
  });

  it('@fastify/rate-limit → the export route keeps its own bucket of 10', async () => {
    const app = await fastifyAfter();
    closers.push(() => app.close());
    const codes = [];
    for (let i = 0; i < 11; i++) codes.push((await app.inject({ method: 'POST', url: '/v1/exports', headers: { 'x-tenant-id': 'acme' } })).statusCode);
    expect(codes).toEqual([...Array(10).fill(200), 429]);
    expect((await app.inject({ method: 'GET', url: '/v1/items', headers: { 'x-tenant-id': 'acme' } })).statusCode).toBe(200);
  });

  it('@nestjs/throttler → global guard, costly handler, skipped health check', async () => {
    const app = await NestFactory.create(NestAfter, { logger: false });
    await app.listen(0, '127.0.0.1');
    closers.push(() => app.close());
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const codes = [];
    for (let i = 0; i < 11; i++) codes.push((await request(url, '/v1/exports', { method: 'POST', headers: { 'x-tenant-id': 'acme' } })).status);
    expect(codes).toEqual([...Array(10).fill(201), 429]);
    for (let i = 0; i < 5; i++) expect((await request(url, '/v1/health', { headers: { 'x-tenant-id': 'acme' } })).status).toBe(200);
  });

  it('legacy single limit → every client shares one bucket, whatever tenant header it sends', async () => {
    // One token back every 10 s: the six requests cannot outlast a refill on a slow machine.
    const url = await listen(legacyApp(0.1, 5));
    const a = await statuses(url, 3, { 'x-tenant-id': 'one' });
    const b = await statuses(url, 3, { 'x-tenant-id': 'two' });
    expect([...a, ...b]).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
