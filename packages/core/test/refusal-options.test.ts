/**
 * Issue 14: the `refusal` option shapes rate and concurrency refusals (status, message, body);
 * headers are sent whatever the body; bad options are config errors; a broken hook is logged and
 * the default refusal sent, never a crash.
 */
import { describe, expect, it } from 'vitest';
import type { RateLimitOptions, RefusalInfo } from '../src/index.js';
import { createHttpRateLimiter, type HttpOutcome, type HttpRequestInfo } from '../src/adapter.js';
import { FakeClock, issueKeys, recordingLogger, thrown } from './support.js';

function limiter(options: RateLimitOptions = {}) {
  const log = recordingLogger();
  const http = createHttpRateLimiter({ env: false, load: { enabled: false }, clock: new FakeClock(), logger: log.logger, ...options });
  return { http, log };
}

const req = (tenant = 'acme'): HttpRequestInfo<unknown> => ({
  method: 'GET',
  url: '/v1/items',
  raw: {},
  headers: { 'x-tenant-id': tenant, 'x-request-id': 'req-1' },
});

/** The 11th request of a free tenant: the first refusal. */
async function refused(options: RateLimitOptions): Promise<Extract<HttpOutcome, { action: 'respond' }> & { log: ReturnType<typeof recordingLogger> }> {
  const { http, log } = limiter(options);
  for (let i = 0; i < 10; i++) expect((await http.handle(req())).action).toBe('continue');
  const outcome = await http.handle(req());
  if (outcome.action !== 'respond') throw new Error('expected a refusal');
  return { ...outcome, log };
}

describe('refusal option', () => {
  it('leaves the default refusal as it was, and describes it to hooks', async () => {
    const r = await refused({});
    expect(r.status).toBe(429);
    expect(JSON.parse(r.body)).toEqual({
      error: {
        type: 'https://aurum.api/errors/rate_limit_exceeded',
        title: 'Rate Limit Exceeded',
        detail: 'Too many requests for tenant acme',
        retry_after: 1,
        instance: 'req-1',
      },
    });
    expect(r.refusal).toMatchObject({
      kind: 'rate_limited',
      status: 429,
      allowed: false,
      tenant: 'acme',
      tier: 'free',
      limit: 10,
      remaining: 0,
      retryAfter: 1,
    });
  });

  it('sets status and message, keeping the problem document and every header', async () => {
    const r = await refused({ refusal: { status: 503, message: 'Slow down' } });
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).error).toMatchObject({ detail: 'Slow down', retry_after: 1 });
    expect(r.headers).toMatchObject({ 'Retry-After': '1', 'X-RateLimit-Limit': '10', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Tenant': 'acme' });
  });

  it('builds the message and the body from the refusal', async () => {
    const seen: RefusalInfo[] = [];
    const r = await refused({
      problemFormat: 'rfc9457',
      refusal: {
        message: (info) => `tenant ${info.tenant} used ${info.used} of ${info.limit}`,
        body: (problem, info) => {
          seen.push(info);
          return { code: 'LIMITED', detail: problem.detail, retryIn: info.retryAfter };
        },
      },
    });
    expect(JSON.parse(r.body)).toEqual({ code: 'LIMITED', detail: 'tenant acme used 10 of 10', retryIn: 1 });
    expect(r.headers['Content-Type']).toBe('application/json; charset=utf-8');
    expect(r.headers['Retry-After']).toBe('1');
    expect(seen[0]?.message).toBe('tenant acme used 10 of 10');
  });

  it('keeps the problem Content-Type when the body is the problem, extended', async () => {
    const r = await refused({
      problemFormat: 'rfc9457',
      refusal: {
        body: (problem) => {
          problem.help = 'https://example.com/limits';
          return problem;
        },
      },
    });
    expect(r.headers['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(r.body)).toMatchObject({ status: 429, help: 'https://example.com/limits' });
  });

  it('sends a string body as text, and keeps the default for undefined', async () => {
    const text = await refused({ refusal: { body: () => 'Too many requests, slow down.' } });
    expect(text.body).toBe('Too many requests, slow down.');
    expect(text.headers['Content-Type']).toBe('text/plain; charset=utf-8');
    const kept = await refused({ refusal: { body: () => undefined } });
    expect(JSON.parse(kept.body).error.type).toBe('https://aurum.api/errors/rate_limit_exceeded');
  });

  it('answers the default refusal, logged, when a hook throws or its body cannot be serialised', async () => {
    for (const refusal of [
      {
        message: () => {
          throw new Error('boom');
        },
      },
      {
        body: () => {
          throw new Error('boom');
        },
      },
      { body: () => ({ big: 1n }) },
    ]) {
      const r = await refused({ refusal });
      expect(r.status).toBe(429);
      expect(JSON.parse(r.body).error.detail).toBe('Too many requests for tenant acme');
      expect(r.headers['Retry-After']).toBe('1');
      expect(r.log.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([expect.stringMatching(/^the refusal\.(message|body) option threw/)]);
    }
  });

  it('shapes concurrency refusals too, not 400s for bad tenants', async () => {
    const { http } = limiter({ tiers: { free: { maxConcurrentRequests: 1 } }, refusal: { status: 420, message: 'Enhance your calm' } });
    expect((await http.handle(req())).action).toBe('continue');
    const busy = await http.handle(req());
    expect(busy).toMatchObject({ action: 'respond', status: 420, refusal: { kind: 'concurrency_limited', allowed: false } });
    expect(busy.action === 'respond' && JSON.parse(busy.body).error).toMatchObject({
      type: 'https://aurum.api/errors/concurrency_limit_exceeded',
      detail: 'Enhance your calm',
    });
    const bad = await http.handle(req('bad{id}'));
    expect(bad).toMatchObject({ action: 'respond', status: 400 });
    expect(bad.action === 'respond' && bad.refusal).toBeUndefined();
  });

  it.each([
    [{ status: 200 }, 'refusal.status', 'must be an HTTP error status (400–599), got 200'],
    [{ status: 429.5 }, 'refusal.status', 'must be an HTTP error status (400–599), got 429.5'],
    [{ status: '429' }, 'refusal.status', 'must be an HTTP error status (400–599), got 429'],
    [{ message: 42 }, 'refusal.message', 'must be a string or a function, got number'],
    [{ body: {} }, 'refusal.body', 'must be a function, got object'],
    [{ statusCode: 429 }, 'refusal.statusCode', 'is not a known option'],
    ['oops', 'refusal', 'must be an object { status, message, body }'],
  ])('rejects refusal %j with a clear message', (refusal, key, message) => {
    const error = thrown(() => limiter({ refusal } as unknown as RateLimitOptions));
    expect(issueKeys(error)).toEqual([key]);
    expect((error as { issues: Array<{ message: string }> }).issues[0]?.message).toBe(message);
  });
});
