/**
 * A store error is never a 429 by itself: with failMode 'fallback' or 'open' a tenant under its
 * limit is served while Redis is dead or frozen; with 'closed' it gets a 503 problem
 * (rate_limiter_unavailable), still never a 429.
 */
import type { FailMode } from '@aurum/ratelimit-core/store';
import { type RedisServer, startRedisServer } from '@aurum/ratelimit-testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeAllApps, expectBoundedLatency, type Sample, startApp } from './support/http-app.js';

let redis: RedisServer | undefined;

beforeEach(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  await redis?.stop();
  redis = undefined;
  await closeAllApps();
});

const server = () => redis as RedisServer;

type Fault = 'SIGKILL' | 'SIGSTOP';
const inject = async (fault: Fault) => (fault === 'SIGKILL' ? server().kill() : server().pause());

const expectedSource: Record<FailMode, string> = { fallback: 'fallback', open: 'fail-open', closed: 'none' };

describe.each(['SIGKILL', 'SIGSTOP'] as const)('Redis faulted with %s', (fault) => {
  it.each(['fallback', 'open'] as const)(
    'failMode %s: a tenant under its limit gets 200, never 429',
    async (failMode) => {
      const app = await startApp({ redisUrl: server().url, limiter: { failMode } });
      expect((await app.get('warm')).status).toBe(200);
      await inject(fault);

      // A free tenant (burst 10): 8 requests are under its limit, before and after the breaker opens.
      const samples: Sample[] = [];
      for (let i = 0; i < 8; i++) samples.push(await app.get('under-limit'));
      expect(samples.map((s) => s.status)).toEqual(samples.map(() => 200));
      expectBoundedLatency(samples, { fault, failMode });
      // The store really failed (otherwise this proves nothing), and the breaker opened.
      expect(app.failures.length).toBeGreaterThan(0);
      // A frozen Redis fails by the store timeout (not by the client's own 2 s command timeout).
      if (fault === 'SIGSTOP') expect(app.failures.filter((f) => !f.timedOut)).toEqual([]);
      expect(app.limiter.manager.breaker.state).not.toBe('closed');
      const sources = new Set(app.decisions.filter((d) => d.tenantId === 'under-limit').map((d) => d.source));
      expect(sources).toEqual(new Set([expectedSource[failMode]]));
    },
    10_000,
  );

  it('failMode closed: 503 rate_limiter_unavailable, never 429', async () => {
    const app = await startApp({ redisUrl: server().url, limiter: { failMode: 'closed' } });
    expect((await app.get('warm')).status).toBe(200);
    await inject(fault);

    // More requests than the burst: a store error must not be counted against the tenant either.
    const samples: Sample[] = [];
    for (let i = 0; i < 12; i++) samples.push(await app.get('under-limit'));
    expect(samples.map((s) => s.status)).toEqual(samples.map(() => 503));
    for (const s of samples) {
      expect(JSON.parse(s.body)).toMatchObject({
        error: { type: 'https://aurum.api/errors/rate_limiter_unavailable', title: 'Rate Limiter Unavailable', retry_after: 1 },
      });
    }
    expectBoundedLatency(samples, { fault, failMode: 'closed' });
    expect(app.failures.length).toBeGreaterThan(0);
    if (fault === 'SIGSTOP') expect(app.failures.filter((f) => !f.timedOut)).toEqual([]);
    expect(app.decisions.filter((d) => d.tenantId === 'under-limit')).toEqual([]);
  }, 10_000);
});
