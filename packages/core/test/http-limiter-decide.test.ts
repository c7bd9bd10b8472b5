/**
 * HttpRateLimiter.decide: the outcome itself when nothing had to wait (the memory store,
 * synchronous hooks), a promise otherwise — the same outcomes handle() gives, each user hook
 * called once per request whichever path the request takes, and never a throw.
 */
import { describe, expect, it, vi } from 'vitest';
import type { RateLimitOptions } from '../src/index.js';
import { createHttpRateLimiter, type HttpOutcome, type HttpRequestInfo } from '../src/adapter.js';
import { FakeClock, recordingLogger, ScriptedStore } from './support.js';

interface Raw {
  user?: string;
}

function limiter(options: RateLimitOptions<Raw> = {}) {
  const clock = new FakeClock();
  const log = recordingLogger();
  const http = createHttpRateLimiter<Raw>({ env: false, load: { enabled: false }, clock, logger: log.logger, ...options });
  return { http, clock, log };
}

const req = (tenant = 'acme-corp', raw: Raw = {}): HttpRequestInfo<Raw> => ({
  method: 'GET',
  url: '/v1/items',
  ip: '203.0.113.7',
  raw,
  // A fixed request id: refusal bodies name it (else a random one) and are compared.
  headers: { 'x-tenant-id': tenant, 'x-request-id': 'req-1' },
});

/** An outcome with its functions replaced by their presence, for comparing two limiters' answers. */
function comparable(outcome: HttpOutcome): unknown {
  if (outcome.action === 'respond') return outcome;
  return { ...outcome, release: typeof outcome.release };
}

function synchronous(outcome: HttpOutcome | Promise<HttpOutcome>): HttpOutcome {
  if (outcome instanceof Promise) throw new Error('expected an outcome without a promise');
  return outcome;
}

describe('HttpRateLimiter.decide on the memory store', () => {
  it('answers without a promise, exactly as handle() does: headers, the 429 after the burst, concurrency refusals', async () => {
    const options = { tiers: { free: { maxConcurrentRequests: 11 } } };
    const viaDecide = limiter(options);
    const viaHandle = limiter(options);
    const held: HttpOutcome[] = [];
    for (let i = 0; i < 12; i++) {
      const a = synchronous(viaDecide.http.decide(req()));
      const b = await viaHandle.http.handle(req());
      expect(comparable(a)).toEqual(comparable(b));
      held.push(a);
    }
    expect(held.map((o) => (o.action === 'respond' ? o.status : 200))).toEqual([...Array(10).fill(200), 429, 429]);

    // Concurrency: one slot, held, then released.
    const one = { tiers: { free: { maxConcurrentRequests: 1 } } };
    const slots = limiter(one);
    const first = synchronous(slots.http.decide(req()));
    const refused = synchronous(slots.http.decide(req()));
    expect(refused).toMatchObject({ action: 'respond', status: 429, headers: { 'X-Concurrency-Limit': '1' } });
    expect(first.action === 'continue' && typeof first.release).toBe('function');
    if (first.action === 'continue') await first.release?.();
    expect(synchronous(slots.http.decide(req())).action).toBe('continue');
  });

  it('stays synchronous with synchronous hooks, calling each once per request', () => {
    const skip = vi.fn((raw: Raw) => raw.user === 'probe');
    const resolveTenant = vi.fn((raw: Raw) => raw.user);
    const cost = vi.fn(() => 2);
    const { http } = limiter({ skip, resolveTenant, cost });
    expect(synchronous(http.decide(req('ignored', { user: 'probe' })))).toEqual({ action: 'continue', headers: {} });
    const o = synchronous(http.decide(req('ignored', { user: 'acme-corp' })));
    expect(o.action === 'continue' && o.decision?.metadata).toMatchObject({ tenantId: 'acme-corp', cost: 2, remaining: 8 });
    expect([skip.mock.calls.length, resolveTenant.mock.calls.length, cost.mock.calls.length]).toEqual([2, 1, 1]);
  });

  it('answers a promise when a hook does, calling each hook once', async () => {
    const skip = vi.fn(async () => false);
    const resolveTenant = vi.fn((raw: Raw) => raw.user);
    const { http } = limiter({ skip, resolveTenant });
    const pending = http.decide(req('ignored', { user: 'acme-corp' }));
    expect(pending).toBeInstanceOf(Promise);
    expect((await pending).action === 'continue' && (await pending).headers['X-RateLimit-Remaining']).toBe('9');
    expect([skip.mock.calls.length, resolveTenant.mock.calls.length]).toEqual([1, 1]);

    const asyncTenant = vi.fn(async (raw: Raw) => raw.user);
    const second = limiter({ resolveTenant: asyncTenant }).http;
    const outcome = second.decide(req('ignored', { user: 'acme-corp' }));
    expect(outcome).toBeInstanceOf(Promise);
    const resolved = await outcome;
    expect(resolved.action === 'continue' && resolved.decision?.metadata.tenantId).toBe('acme-corp');
    expect(asyncTenant).toHaveBeenCalledTimes(1);
  });

  it('never throws: a hook that throws is logged and the request limited; a rejected one too', async () => {
    const { http, log } = limiter({
      skip: () => {
        throw new Error('sync skip broke');
      },
    });
    expect(synchronous(http.decide(req())).action).toBe('continue');
    const rejecting = limiter({ skip: () => Promise.reject(new Error('async skip broke')) });
    const outcome = await rejecting.http.decide(req());
    expect(outcome.action === 'continue' && outcome.headers['X-RateLimit-Remaining']).toBe('9');
    const skipErrors = (lines: typeof log.lines) => lines.filter((l) => l.level === 'error' && /skip option threw/.test(l.msg ?? '')).length;
    expect([skipErrors(log.lines), skipErrors(rejecting.log.lines)]).toEqual([1, 1]);
  });
});

describe('HttpRateLimiter.decide on a shared store', () => {
  it('answers a promise when the store needs I/O, consuming once and calling a synchronous hook once', async () => {
    const clock = new FakeClock();
    const store = new ScriptedStore(clock);
    const resolveTenant = vi.fn((raw: Raw) => raw.user);
    const { http } = limiter({ store, clock, resolveTenant });
    const pending = http.decide(req('ignored', { user: 'acme-corp' }));
    expect(pending).toBeInstanceOf(Promise);
    const outcome = await pending;
    // One token taken: the synchronous attempt consumed nothing before handing over.
    expect(outcome.action === 'continue' && outcome.headers['X-RateLimit-Remaining']).toBe('9');
    expect(resolveTenant).toHaveBeenCalledTimes(1);
    expect(store.calls).toMatchObject({ consume: 1, acquire: 1 });
    if (outcome.action === 'continue') await outcome.release?.();
  });

  it('decides from the fallback while the breaker is open (the slot needs a promise), never a 503', async () => {
    const clock = new FakeClock();
    const store = new ScriptedStore(clock);
    const { http } = limiter({ store, clock });
    http.manager.breaker.open();
    const outcome = await http.decide(req());
    expect(outcome.action === 'continue' && outcome.decision?.metadata).toMatchObject({ source: 'fallback', remaining: 9 });
    expect(store.calls).toEqual({});
  });
});
