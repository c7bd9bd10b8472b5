/**
 * Issue 14: `skipFailedRequests` / `skipSuccessfulRequests` give a finished request's cost back
 * through the outcome's `onResponse`; `info` is the handler's view of the decision.
 */
import { describe, expect, it } from 'vitest';
import type { RateLimitOptions } from '../src/index.js';
import { createHttpRateLimiter, type HttpOutcome, type HttpRequestInfo } from '../src/adapter.js';
import { FakeClock, issueKeys, recordingLogger, thrown } from './support.js';

function limiter(options: RateLimitOptions = {}) {
  const log = recordingLogger();
  const clock = new FakeClock();
  const http = createHttpRateLimiter({ env: false, load: { enabled: false }, clock, logger: log.logger, ...options });
  return { http, log, clock };
}

const req = (url = '/v1/items'): HttpRequestInfo<unknown> => ({ method: 'GET', url, raw: {}, headers: { 'x-tenant-id': 'acme' } });

type Continue = Extract<HttpOutcome, { action: 'continue' }>;
const passed = (o: HttpOutcome): Continue => {
  if (o.action !== 'continue') throw new Error(`expected continue, got ${o.status}`);
  return o;
};

/** Sends `n` requests, ending each with `status` before the next. */
async function serve(http: ReturnType<typeof limiter>['http'], n: number, status: number | undefined, url?: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = await http.handle(req(url));
    if (o.action === 'respond') statuses.push(o.status);
    else {
      statuses.push(status ?? 0);
      o.onResponse?.(status);
      await o.release?.();
    }
  }
  return statuses;
}

const remaining = async (http: ReturnType<typeof limiter>['http'], url?: string) => passed(await http.handle(req(url))).info?.remaining;

describe('counting only failures or successes', () => {
  it('counts every request by default (no onResponse)', async () => {
    const { http } = limiter();
    expect(passed(await http.handle(req())).onResponse).toBeUndefined();
    expect(await serve(http, 9, 500)).toEqual(Array(9).fill(500));
    expect(await serve(http, 1, 500)).toEqual([429]);
  });

  it('skipFailedRequests: failures and aborted requests give their cost back, successes count', async () => {
    const { http } = limiter({ skipFailedRequests: true });
    expect(await serve(http, 25, 500)).toEqual(Array(25).fill(500));
    expect(await serve(http, 25, undefined)).toEqual(Array(25).fill(0));
    expect(await serve(http, 25, 404)).toEqual(Array(25).fill(404));
    expect(await serve(http, 3, 200)).toEqual([200, 200, 200]);
    expect(await remaining(http)).toBe(6);
  });

  it('skipSuccessfulRequests: only failures count', async () => {
    const { http } = limiter({ skipSuccessfulRequests: true });
    expect(await serve(http, 25, 204)).toEqual(Array(25).fill(204));
    expect(await serve(http, 10, 503)).toEqual(Array(10).fill(503));
    expect(await serve(http, 1, 200)).toEqual([429]);
  });

  it('asks requestWasSuccessful, and counts the request when it throws', async () => {
    const { http, log } = limiter({ skipFailedRequests: true, requestWasSuccessful: (status) => status < 500 });
    await serve(http, 3, 404);
    expect(await remaining(http)).toBe(6);
    await serve(http, 20, 500);
    const broken = limiter({
      skipFailedRequests: true,
      requestWasSuccessful: () => {
        throw new Error('boom');
      },
    });
    await serve(broken.http, 2, 500);
    expect(await remaining(broken.http)).toBe(7);
    expect(broken.log.lines.map((l) => l.msg)).toContain('the requestWasSuccessful option threw; the request counts');
    expect(log.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('gives back to the bucket and cost the decision took, once', async () => {
    const { http } = limiter({ skipFailedRequests: true, routes: [{ path: '/export', cost: 4, bucket: 'exports' }] });
    const first = passed(await http.handle(req('/export')));
    expect(first.info).toMatchObject({ bucket: 'exports', cost: 4, remaining: 6 });
    first.onResponse?.(500);
    first.onResponse?.(500);
    expect(await remaining(http, '/export')).toBe(6);
    expect(await remaining(http)).toBe(9);
  });

  it('gives back the cost of a request refused for concurrency after the rate check took it', async () => {
    const { http } = limiter({ skipFailedRequests: true, tiers: { free: { maxConcurrentRequests: 1 } } });
    const holding = passed(await http.handle(req()));
    for (let i = 0; i < 20; i++) expect(await http.handle(req())).toMatchObject({ status: 429, refusal: { kind: 'concurrency_limited' } });
    holding.onResponse?.(200);
    await holding.release?.();
    expect(await remaining(http)).toBe(8);
  });

  it('refunds nothing in shadow mode once the bucket said no', async () => {
    const { http } = limiter({ shadow: true, skipFailedRequests: true });
    await serve(http, 10, 200);
    const over = passed(await http.handle(req()));
    expect(over.info).toMatchObject({ allowed: true, exceeded: true, remaining: 0 });
    expect(over.onResponse).toBeUndefined();
  });

  it('rejects bad counting options', () => {
    expect(issueKeys(thrown(() => limiter({ skipFailedRequests: 'yes' } as unknown as RateLimitOptions)))).toEqual(['skipFailedRequests']);
    expect(issueKeys(thrown(() => limiter({ requestWasSuccessful: true } as unknown as RateLimitOptions)))).toEqual(['requestWasSuccessful']);
    expect(issueKeys(thrown(() => limiter({ skipFailedRequests: true, skipSuccessfulRequests: true })))).toEqual(['skipSuccessfulRequests']);
  });
});

describe('the decision for the handler (info)', () => {
  it('describes the decision once, as the headers do', async () => {
    const { http, clock } = limiter();
    const o = passed(await http.handle(req()));
    expect(o.info).toEqual({
      allowed: true,
      tenant: 'acme',
      tier: 'free',
      anonymous: false,
      policy: 'free',
      bucket: 'default',
      cost: 1,
      limit: 10,
      remaining: 9,
      used: 1,
      reset: Number(o.headers['X-RateLimit-Reset']),
      resetAt: clock.now() + 200,
      retryAfter: 0,
      exceeded: false,
    });
  });
});
