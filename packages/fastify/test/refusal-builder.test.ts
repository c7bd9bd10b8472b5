/** Issue 14, Fastify specifics: `errorResponseBuilder` validation and context, `request.rateLimit` on Fastify 4 and 5. */
import { RateLimitConfigError } from '@aurum/ratelimit-core';
import { request } from '@aurum/ratelimit-testkit';
import { describe, expect, it } from 'vitest';
import { aurumRateLimit, type FastifyRefusalContext } from '../src/index.js';
import { closedAfterEach, FASTIFY_MAJORS, listen } from './app.js';

const base = { env: false as const, load: { enabled: false }, tiers: { free: { burstSize: 1 } } };
const open = closedAfterEach();

describe.each(FASTIFY_MAJORS)('%s errorResponseBuilder', (_name, factory) => {
  it('rejects a builder that is not a function', async () => {
    const app = factory();
    open.push(app);
    await expect(app.register(aurumRateLimit, { ...base, errorResponseBuilder: 42 as never })).rejects.toBeInstanceOf(RateLimitConfigError);
  });

  it("gets @fastify/rate-limit's context; a string body goes out as text with every header", async () => {
    const contexts: FastifyRefusalContext[] = [];
    const app = factory();
    open.push(app);
    await app.register(aurumRateLimit, {
      ...base,
      refusal: { status: 503 },
      errorResponseBuilder: (request, context) => {
        contexts.push(context);
        return `limited ${request.rateLimit?.tenant}`;
      },
    });
    app.get('/x', async (request) => ({ remaining: request.rateLimit?.remaining }));
    const { url } = await listen(app);
    const headers = { 'x-tenant-id': 'builder' };
    expect((await request(url, '/x', { headers })).json).toEqual({ remaining: 0 });
    const denied = await request(url, '/x', { headers });
    expect(denied.status).toBe(503);
    expect(denied.text).toBe('limited builder');
    expect(denied.headers['content-type']).toMatch(/^text\/plain/);
    expect(denied.headers).toMatchObject({ 'retry-after': '1', 'x-ratelimit-remaining': '0' });
    expect(contexts[0]).toMatchObject({ statusCode: 503, max: 1, ttl: 1000, after: '1 second', tenant: 'builder', kind: 'rate_limited' });
  });
});
