import type { RateLimitOptions } from '@aurum/ratelimit-core';
import type { RateLimitStore } from '@aurum/ratelimit-core/store';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppVariant } from './conformance-app.js';
import { FakeClock } from './fake-clock.js';
import { request, type TestResponse, waitFor } from './http-client.js';
import { SLOW_TEST_MS } from './test-budget.js';

/** A running app under test. */
export interface RunningApp {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * How to run an app for the suite. The app must apply the limiter to every route and expose:
 * `GET /ping` → 200 `pong`; `GET /items/:id` → 200; `GET /slow?ms=N` → 200 after N ms;
 * `GET /info` → 200 `{ "rateLimit": … }`, the decision as the handler reads it in the framework's
 * idiom (`req.rateLimit`, `request.rateLimit`, `ctx.state.rateLimit`, `@RateLimitInfo()`), `null`
 * when absent; `GET /status/:code` → that status; and the limiter's admin API under its prefix
 * (the concurrency tests read slot counts through it). With `variant.refusalHook`, it installs the
 * adapter's own refusal hook as {@link RefusalHookVariant} says. It must listen on 127.0.0.1 and an
 * ephemeral port.
 */
export interface AdapterConformanceOptions {
  name: string;
  start: (options: RateLimitOptions, variant?: AppVariant) => Promise<RunningApp>;
  /** Store to limit with (a fresh one per app); the in-memory default when omitted. */
  createStore?: (clock: FakeClock) => RateLimitStore | Promise<RateLimitStore>;
}

const ADMIN_TOKEN = 'conformance-admin-token-0123456789';
/** How long `/slow` runs while a test needs its slot held: far more than deciding one more request takes. */
const SLOW_MS = 1_000;
/** A handler that only an abort ends in time. */
const HANG_MS = 5_000;
/** How long the slot may take to come back after an abort: well before the hanging handler would finish. */
const RELEASE_MS = 2_000;
let tenantSeq = 0;
/** Unique tenant ids per test, so a shared Redis never leaks state between tests. */
const tenant = (stem: string) => `${stem}-${process.pid}-${++tenantSeq}`;

/**
 * The HTTP behaviour every adapter must show identically: statuses, headers, bodies, admin API,
 * tenant validation and concurrency release. Models: nestjs/throttler's multi-platform e2e,
 * express-rate-limit's external store tests.
 */
export function describeAdapterConformance(suite: AdapterConformanceOptions): void {
  describe(`HTTP adapter conformance: ${suite.name}`, () => {
    let running: RunningApp[] = [];
    let inFlight: AbortController[] = [];
    let clock: FakeClock;
    /** The store of the app started last (undefined: the memory default). */
    let store: RateLimitStore | undefined;

    afterEach(async () => {
      // A failed test may leave a request open; aborted, it resolves instead of failing later.
      for (const controller of inFlight) controller.abort();
      inFlight = [];
      await Promise.all(running.map((app) => app.close()));
      running = [];
    });

    async function start(options: RateLimitOptions = {}, variant?: AppVariant): Promise<RunningApp> {
      clock = new FakeClock();
      store = suite.createStore ? await suite.createStore(clock) : undefined;
      const app = await suite.start(
        {
          env: false,
          load: { enabled: false },
          clock,
          tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }],
          // A loaded CI box must not turn a slow Redis reply into a fallback decision here:
          // these tests are about HTTP behaviour; the fault tests cover timeouts.
          ...(store && { store, storeTimeoutMs: 2000 }),
          ...options,
        },
        variant,
      );
      running.push(app);
      return app;
    }

    const get = (app: RunningApp, path: string, tenantId?: string, headers: Record<string, string> = {}) =>
      request(app.url, path, { headers: { ...(tenantId !== undefined && { 'x-tenant-id': tenantId }), ...headers } });

    /** A request left running while the test goes on. */
    function inBackground(app: RunningApp, path: string, tenantId: string): { response: Promise<TestResponse>; abort: () => void } {
      const controller = new AbortController();
      inFlight.push(controller);
      const response = request(app.url, path, { headers: { 'x-tenant-id': tenantId }, signal: controller.signal });
      return { response, abort: () => controller.abort() };
    }

    /** The tenant's concurrency slots in use, read through the admin API (0 before the tenant is known). */
    async function activeSlots(app: RunningApp, tenantId: string): Promise<number> {
      const r = await request(app.url, `/admin/ratelimit/tenants/${tenantId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      if (r.status === 404) return 0;
      expect(r.status, 'admin tenant status').toBe(200);
      return (r.json as { activeConcurrency: number }).activeConcurrency;
    }

    /** The tenant's status through the admin API. */
    async function tenantStatus(app: RunningApp, tenantId: string): Promise<{ remaining: number }> {
      const r = await request(app.url, `/admin/ratelimit/tenants/${tenantId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(r.status, 'admin tenant status').toBe(200);
      return r.json as { remaining: number };
    }

    /** Polls (bounded) until the tenant holds exactly `n` slots. */
    const slotsReach = (app: RunningApp, tenantId: string, n: number, what: string, timeoutMs = 2_000) =>
      waitFor(async () => (await activeSlots(app, tenantId)) === n, timeoutMs, what);

    async function burst(app: RunningApp, n: number, tenantId: string | undefined, path = '/ping'): Promise<TestResponse[]> {
      const out: TestResponse[] = [];
      for (let i = 0; i < n; i += 50) {
        const batch = Array.from({ length: Math.min(50, n - i) }, () => get(app, path, tenantId));
        out.push(...(await Promise.all(batch)));
      }
      return out;
    }

    it('a free tenant gets exactly its burst of 10; the 11th is a 429 with the contract headers and body', async () => {
      const app = await start();
      const id = tenant('acme');
      const ok = [];
      for (let i = 0; i < 10; i++) ok.push(await get(app, '/ping', id));
      expect(ok.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(ok[0]?.text).toBe('pong');
      expect(ok[0]?.headers).toMatchObject({
        'x-ratelimit-limit': '10',
        'x-ratelimit-remaining': '9',
        'x-ratelimit-reset': '1',
        'ratelimit-policy': '"free";q=10;w=2',
        ratelimit: '"free";r=9;t=1',
        'x-ratelimit-tenant': id,
        'x-ratelimit-tier': 'free',
      });
      expect(ok[9]?.headers['x-ratelimit-remaining']).toBe('0');

      const denied = await get(app, '/ping', id, { 'x-request-id': 'req-conformance-1' });
      expect(denied.status).toBe(429);
      expect(denied.headers['content-type']).toMatch(/^application\/json/);
      expect(denied.headers).toMatchObject({
        'retry-after': '1',
        'x-ratelimit-tenant': id,
        'x-ratelimit-tier': 'free',
        'x-ratelimit-limit': '10',
        'x-ratelimit-remaining': '0',
        'ratelimit-policy': '"free";q=10;w=2',
        ratelimit: '"free";r=0;t=1',
      });
      expect(denied.json).toEqual({
        error: {
          type: 'https://aurum.api/errors/rate_limit_exceeded',
          title: 'Rate Limit Exceeded',
          detail: `Too many requests for tenant ${id}`,
          retry_after: 1,
          instance: 'req-conformance-1',
        },
      });
    });

    /** Issue 14: refusal shaping, the decision in the handler, counting only failures or successes. */
    function describeIssue14(): void {
      /** The first refusal of a free tenant: its 11th request. */
      async function firstRefusal(app: RunningApp, id: string): Promise<TestResponse> {
        for (let i = 0; i < 10; i++) expect((await get(app, '/ping', id)).status).toBe(200);
        return get(app, '/ping', id, { 'x-request-id': 'req-shaped-1' });
      }
      const limitHeaders = (id: string) => ({ 'retry-after': '1', 'x-ratelimit-tenant': id, 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0' });

      it('the refusal option shapes the 429: status, message and body, headers kept', async () => {
        const app = await start({
          refusal: {
            status: 503,
            message: (info) => `${info.tenant} used ${info.used} of ${info.limit}`,
            body: (problem, info) => ({ problem, retryIn: info.retryAfter }),
          },
        });
        const id = tenant('shaped');
        const denied = await firstRefusal(app, id);
        expect(denied.status).toBe(503);
        expect(denied.headers).toMatchObject(limitHeaders(id));
        expect(denied.headers['content-type']).toMatch(/^application\/json/);
        expect(denied.json).toEqual({
          problem: {
            error: {
              type: 'https://aurum.api/errors/rate_limit_exceeded',
              title: 'Rate Limit Exceeded',
              detail: `${id} used 10 of 10`,
              retry_after: 1,
              instance: 'req-shaped-1',
            },
          },
          retryIn: 1,
        });
      });

      it("the adapter's own refusal hook writes the refusal; the headers are set all the same", async () => {
        const app = await start({}, { refusalHook: 'custom' });
        const id = tenant('hooked');
        const denied = await firstRefusal(app, id);
        expect(denied.status).toBe(429);
        expect(denied.headers).toMatchObject(limitHeaders(id));
        expect(denied.headers['content-type']).toMatch(/^application\/json/);
        expect(denied.json).toEqual({ limited: true, kind: 'rate_limited', tenant: id, remaining: 0, retryAfter: 1 });
      });

      it('a refusal hook that throws gets the default refusal out, not a 500', async () => {
        const id = tenant('broken-hook');
        const app = await start({}, { refusalHook: 'throws' });
        const denied = await firstRefusal(app, id);
        expect(denied.status).toBe(429);
        expect(denied.headers).toMatchObject(limitHeaders(id));
        expect((denied.json as { error: { type: string } }).error.type).toBe('https://aurum.api/errors/rate_limit_exceeded');

        const viaCore = await start({
          refusal: {
            body: () => {
              throw new Error('conformance: a broken refusal.body');
            },
          },
        });
        const again = await firstRefusal(viaCore, id);
        expect(again.status).toBe(429);
        expect((again.json as { error: { detail: string } }).error.detail).toBe(`Too many requests for tenant ${id}`);
      });

      it('the handler reads the decision in the framework idiom, as the headers say', async () => {
        const app = await start({});
        const id = tenant('info');
        const first = await get(app, '/info', id);
        expect(first.status).toBe(200);
        expect((first.json as { rateLimit: unknown }).rateLimit).toEqual({
          allowed: true,
          tenant: id,
          tier: 'free',
          anonymous: false,
          policy: 'free',
          bucket: 'default',
          cost: 1,
          limit: 10,
          remaining: 9,
          used: 1,
          reset: 1,
          resetAt: clock.now() + 200,
          retryAfter: 0,
          exceeded: false,
        });
        const second = await get(app, '/info', id);
        expect((second.json as { rateLimit: { remaining: number } }).rateLimit.remaining).toBe(8);
        expect(second.headers['x-ratelimit-remaining']).toBe('8');
        const anon = await get(app, '/info');
        expect((anon.json as { rateLimit: unknown }).rateLimit).toMatchObject({ tenant: 'anonymous', anonymous: true, remaining: 9 });
      });

      it('skipFailedRequests: failed responses do not use the quota', async (ctx) => {
        const app = await start({ skipFailedRequests: true });
        if (store !== undefined && typeof store.refund !== 'function') ctx.skip(); // a store that cannot refund (yet)
        const id = tenant('skip-failed');
        const statuses: number[] = [];
        for (let i = 0; i < 15; i++) statuses.push((await get(app, '/status/500', id)).status);
        expect(statuses).toEqual(Array(15).fill(500));
        const ok = await get(app, '/ping', id);
        expect(ok.status).toBe(200);
        expect(ok.headers['x-ratelimit-remaining']).toBe('9');
      });

      it('skipFailedRequests: a request the client aborts does not use the quota', async (ctx) => {
        const id = tenant('skip-aborted');
        const app = await start({ skipFailedRequests: true, admin: { token: ADMIN_TOKEN } });
        if (store !== undefined && typeof store.refund !== 'function') ctx.skip(); // a store that cannot refund (yet)
        const hanging = inBackground(app, `/slow?ms=${HANG_MS}`, id);
        await slotsReach(app, id, 1, 'the request to take its slot');
        hanging.abort();
        expect((await hanging.response).status).toBe(0);
        // Bounded polling on the tenant's tokens (no timing asserted): the abort's 'close' gives the token back.
        await waitFor(async () => (await tenantStatus(app, id)).remaining === 10, RELEASE_MS, 'the aborted request to be refunded');
      });

      it('skipSuccessfulRequests: only failed responses use the quota', async (ctx) => {
        const app = await start({ skipSuccessfulRequests: true });
        if (store !== undefined && typeof store.refund !== 'function') ctx.skip(); // a store that cannot refund (yet)
        const id = tenant('skip-ok');
        const ok: number[] = [];
        for (let i = 0; i < 15; i++) ok.push((await get(app, '/ping', id)).status);
        expect(ok).toEqual(Array(15).fill(200));
        const failed: number[] = [];
        for (let i = 0; i < 11; i++) failed.push((await get(app, '/status/404', id)).status);
        expect(failed).toEqual([...Array(10).fill(404), 429]);
      });
    }

    it('refills: one second later exactly 5 more pass', async () => {
      const app = await start();
      const id = tenant('refill');
      await burst(app, 11, id);
      clock.advance(1000);
      const again = [];
      for (let i = 0; i < 6; i++) again.push((await get(app, '/ping', id)).status);
      expect(again).toEqual([200, 200, 200, 200, 200, 429]);
    });

    it('a tenant matching an enterprise rule gets 1000; other tenants are unaffected', { timeout: SLOW_TEST_MS }, async () => {
      const app = await start();
      const ent = tenant('ent');
      const other = tenant('other');
      const results = await burst(app, 1000, ent);
      expect(results.filter((r) => r.status === 200)).toHaveLength(1000);
      expect(results[0]?.headers).toMatchObject({
        'x-ratelimit-tier': 'enterprise',
        'x-ratelimit-limit': '1000',
        'ratelimit-policy': '"enterprise";q=1000;w=2',
      });
      expect((await get(app, '/ping', ent)).status).toBe(429);
      const fresh = await get(app, '/ping', other);
      expect(fresh.status).toBe(200);
      expect(fresh.headers['x-ratelimit-remaining']).toBe('9');
    });

    it('refuses invalid tenant ids with a 400 problem, never a shared bucket', async () => {
      const app = await start();
      for (const bad of ['bad{tenant}', 'white space', '', 'x'.repeat(200), 'semi;colon']) {
        const r = await get(app, '/ping', bad);
        expect(r.status, JSON.stringify(bad)).toBe(400);
        expect((r.json as { error: { type: string } }).error.type).toBe('https://aurum.api/errors/invalid_tenant');
      }
    });

    it('limits requests without a tenant per client address, and can reject them', async () => {
      const app = await start();
      const statuses = (await burst(app, 11, undefined)).map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      const denied = await get(app, '/ping');
      expect(denied.status).toBe(429);
      expect(denied.headers['x-ratelimit-tenant']).toBe('anonymous');
      expect((await get(app, '/ping', tenant('named'))).status).toBe(200);

      const strict = await start({ anonymous: 'reject' });
      const r = await get(strict, '/ping');
      expect(r.status).toBe(400);
      expect((r.json as { error: { type: string } }).error.type).toBe('https://aurum.api/errors/tenant_required');
    });

    it('applies route rules to every spelling of a path', async () => {
      const app = await start({ routes: [{ path: '/items/*', cost: 5 }] });
      const id = tenant('paths');
      // The framework may not route odd spellings (404), but the limiter must count them.
      const first = await get(app, '//items/1?x=1', id);
      expect(first.status).not.toBe(429);
      expect(first.headers['x-ratelimit-remaining']).toBe('5');
      const second = await get(app, '/ITEMS/%32', id);
      expect(second.headers['x-ratelimit-remaining']).toBe('0');
      expect((await get(app, '/items/3/', id)).status).toBe(429);
    });

    it('shadow mode decides and reports but never blocks', async () => {
      const app = await start({ shadow: true });
      const id = tenant('shadow');
      const results = await burst(app, 12, id);
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(results.map((r) => r.headers['x-ratelimit-remaining'])).toContain('0');
    });

    it('answers with an RFC 9457 problem document when asked', async () => {
      const app = await start({ problemFormat: 'rfc9457' });
      const id = tenant('rfc');
      await burst(app, 10, id);
      const denied = await get(app, '/ping', id);
      expect(denied.status).toBe(429);
      expect(denied.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(denied.headers['retry-after']).toBe('1');
      expect(denied.json).toMatchObject({
        type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
        status: 429,
        detail: `Too many requests for tenant ${id}`,
        'violated-policies': ['free'],
      });
      expect((denied.json as { instance: string }).instance).toMatch(/^req-[0-9a-f]{16}$/);
    });

    it('holds a concurrency slot per request and refuses beyond maxConcurrentRequests', { timeout: SLOW_TEST_MS }, async () => {
      const id = tenant('conc');
      const app = await start({ admin: { token: ADMIN_TOKEN }, overrides: { [id]: { maxConcurrentRequests: 1 } } });
      let slowDone = false;
      const slow = inBackground(app, `/slow?ms=${SLOW_MS}`, id).response.finally(() => {
        slowDone = true;
      });
      // The second request goes out only once the first verifiably holds the slot.
      await slotsReach(app, id, 1, 'the slow request to take its slot');
      const denied = await get(app, '/ping', id);
      expect(slowDone, 'the slow request ended before the second was decided').toBe(false);
      expect(denied.status).toBe(429);
      expect((denied.json as { error: { type: string } }).error.type).toBe('https://aurum.api/errors/concurrency_limit_exceeded');
      expect(denied.headers['retry-after']).toBe('1');
      expect(await activeSlots(app, id)).toBe(1);
      expect((await slow).status).toBe(200);
      await slotsReach(app, id, 0, 'slot released on finish');
      expect((await get(app, '/ping', id)).status).toBe(200);
    });

    it('releases the concurrency slot when the client aborts', async () => {
      const id = tenant('abort');
      const app = await start({ admin: { token: ADMIN_TOKEN }, overrides: { [id]: { maxConcurrentRequests: 1 } } });
      const hanging = inBackground(app, `/slow?ms=${HANG_MS}`, id);
      // Abort only once the slot is verifiably taken: an abort landing before the decision leaves nothing to release.
      await slotsReach(app, id, 1, 'the request to take its slot');
      expect((await get(app, '/ping', id)).status, 'a second request while the slot is held').toBe(429);
      const abortedAt = performance.now();
      hanging.abort();
      expect((await hanging.response).status).toBe(0);
      await slotsReach(app, id, 0, 'slot released on abort', RELEASE_MS);
      // Not by the handler finishing: that would take HANG_MS.
      expect(performance.now() - abortedAt).toBeLessThan(HANG_MS / 2);
      expect((await get(app, '/ping', id)).status).toBe(200);
    });

    it('a tier or tenant lookup that never answers does not hang requests (lookupTimeoutMs)', { timeout: SLOW_TEST_MS }, async () => {
      const never = () => new Promise<never>(() => {});
      const slowTier = await start({ resolveTier: never, lookupTimeoutMs: 50 });
      const id = tenant('hanging-tier');
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const r = await get(slowTier, '/ping', id);
        expect(r.status).toBe(200);
        expect(r.headers['x-ratelimit-tier']).toBe('free');
        expect(r.headers['x-ratelimit-remaining']).toBe(String(9 - i));
        // Generous for a loaded CI box; without the deadline this request never completes.
        expect(performance.now() - started).toBeLessThan(1_500);
      }

      const slowTenant = await start({ resolveTenant: never, lookupTimeoutMs: 50 });
      const started = performance.now();
      const anon = await get(slowTenant, '/ping');
      expect(anon.status).toBe(200);
      expect(anon.headers['x-ratelimit-tenant']).toBe('anonymous');
      expect(performance.now() - started).toBeLessThan(1_500);
    });

    describeIssue14();

    describe('admin routes', () => {
      const prefix = '/admin/ratelimit';

      it('refuse every request when no auth is configured', async () => {
        const app = await start();
        for (const [method, path] of [
          ['GET', '/tenants'],
          ['GET', '/quotas'],
          ['DELETE', '/tenants/acme/reset'],
          ['POST', '/circuit-breaker/reset'],
          ['GET', '/health'],
        ]) {
          const r = await request(app.url, `${prefix}${path}`, { method: method as string, headers: { authorization: 'Bearer anything' } });
          expect(r.status, `${method} ${path}`).toBe(403);
        }
      });

      it('require the bearer token and serve every route with it', async () => {
        const app = await start({ admin: { token: ADMIN_TOKEN } });
        const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
        const missing = await request(app.url, `${prefix}/tenants`);
        expect(missing.status).toBe(401);
        expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
        expect((await request(app.url, `${prefix}/tenants`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);

        const id = tenant('admin');
        for (let i = 0; i < 3; i++) await get(app, '/ping', id);
        const list = await request(app.url, `${prefix}/tenants`, { headers: auth });
        expect(list.status).toBe(200);
        expect((list.json as { tenants: Array<{ tenantId: string }> }).tenants.map((t) => t.tenantId)).toContain(id);
        // The query string reaches the core: pages of ?limit= entries, 400 for a bad one.
        const page = await request(app.url, `${prefix}/tenants?limit=1`, { headers: auth });
        expect(page.json).toMatchObject({ tenants: [expect.objectContaining({ tenantId: expect.any(String) })] });
        expect((page.json as { tenants: unknown[] }).tenants).toHaveLength(1);
        expect(page.json).toHaveProperty('nextCursor');
        expect((await request(app.url, `${prefix}/tenants?limit=0`, { headers: auth })).status).toBe(400);

        const status = await request(app.url, `${prefix}/tenants/${id}`, { headers: auth });
        expect(status.json).toMatchObject({ tenantId: id, tier: 'free', limit: 10, remaining: 7 });

        const put = await request(app.url, `${prefix}/tenants/${id}/override`, {
          method: 'PUT',
          headers: auth,
          body: { burstSize: 50, requestsPerSecond: 25 },
        });
        expect(put.status).toBe(200);
        expect((await get(app, '/ping', id)).headers['x-ratelimit-limit']).toBe('50');
        const badQuota = await request(app.url, `${prefix}/tenants/${id}/override`, { method: 'PUT', headers: auth, body: { burstSize: -1 } });
        expect(badQuota.status).toBe(400);
        expect((await request(app.url, `${prefix}/tenants/${id}/override`, { method: 'DELETE', headers: auth })).json).toMatchObject({ removed: true });

        for (let i = 0; i < 10; i++) await get(app, '/ping', id);
        expect((await get(app, '/ping', id)).status).toBe(429);
        expect((await request(app.url, `${prefix}/tenants/${id}/reset`, { method: 'DELETE', headers: auth })).status).toBe(200);
        expect((await get(app, '/ping', id)).headers['x-ratelimit-remaining']).toBe('9');

        expect((await request(app.url, `${prefix}/quotas`, { headers: auth })).json).toMatchObject({
          tiers: { free: { requestsPerSecond: 5, burstSize: 10 } },
        });
        expect((await request(app.url, `${prefix}/health`, { headers: auth })).json).toMatchObject({ status: 'ok', circuitBreaker: 'closed' });
        expect((await request(app.url, `${prefix}/circuit-breaker/reset`, { method: 'POST', headers: auth })).json).toEqual({ circuitBreaker: 'closed' });
        expect((await request(app.url, `${prefix}/tenants/bad%7Bid%7D`, { headers: auth })).status).toBe(400);
        expect((await request(app.url, `${prefix}/tenants/${tenant('never-seen')}`, { headers: auth })).status).toBe(404);
        expect((await request(app.url, `${prefix}/tenants/${tenant('never-seen')}/reset`, { method: 'DELETE', headers: auth })).status).toBe(404);
        expect((await request(app.url, `${prefix}/tenants/${id}/override`, { method: 'DELETE', headers: auth })).status).toBe(404);
        const badField = await request(app.url, `${prefix}/tenants/${id}/override`, { method: 'PUT', headers: auth, body: { burstSize: 2.5 } });
        expect(badField.status).toBe(400);
        expect(JSON.stringify(badField.json)).toContain('burstSize');
        expect((await request(app.url, `${prefix}/nope`, { headers: auth })).status).toBe(404);
      });

      it('mount under a custom prefix and are not rate limited themselves', async () => {
        const app = await start({ admin: { token: ADMIN_TOKEN, prefix: '/ops/limits' } });
        const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
        for (let i = 0; i < 15; i++) {
          const r = await request(app.url, '/ops/limits/health', { headers: { ...auth, 'x-tenant-id': 'admin-client' } });
          expect(r.status).toBe(200);
        }
      });
    });
  });
}
