/**
 * Issue 11.1: a tenant id taken from a request (header, resolveTenant, checkRateLimit, admin path)
 * must never name an internal bucket (anonymous client groups) or another tenant's keys.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRateLimitManager, InvalidTenantError, MemoryStore, type RateLimitManager, type RateLimitStore, type TenantIdRules } from '../src/index.js';
import { createHttpRateLimiter } from '../src/adapter.js';
import type { BucketPolicy, BucketSnapshot, ConsumeResult, LeaseResult } from '../src/store.js';
import { FakeClock, rejected } from './support.js';

/** A shared store that records every key it is asked about. */
class RecordingStore implements RateLimitStore {
  readonly name = 'recording';
  readonly keys: string[] = [];
  private readonly inner: MemoryStore;
  constructor(clock: FakeClock) {
    this.inner = new MemoryStore({ clock, sweepIntervalMs: 0 });
  }
  private seen(key: string): void {
    this.keys.push(key);
  }
  consume(key: string, policy: BucketPolicy, cost: number): Promise<ConsumeResult> {
    this.seen(key);
    return this.inner.consume(key, policy, cost);
  }
  inspect(key: string, policy: BucketPolicy): Promise<BucketSnapshot> {
    this.seen(key);
    return this.inner.inspect(key, policy);
  }
  acquire(key: string, limit: number, leaseMs: number): Promise<LeaseResult> {
    this.seen(key);
    return this.inner.acquire(key, limit, leaseMs);
  }
  release(key: string, leaseId: string): Promise<void> {
    this.seen(key);
    return this.inner.release(key, leaseId);
  }
  countLeases(key: string): Promise<number> {
    this.seen(key);
    return this.inner.countLeases(key);
  }
  reset(key: string): Promise<void> {
    this.seen(key);
    return this.inner.reset(key);
  }
  ping(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

const VICTIM = '203.0.113.7';
const TOKEN = 'isolation-admin-token-0123456789';

/** Strings an attacker would try: internal stems, their pieces, and hash-tag tricks. */
const crafted = fc.constantFrom(
  `{~anon:ip:${VICTIM}}`,
  `~anon:ip:${VICTIM}`,
  '~anon:shared',
  '{~anon:shared}',
  '~anon:unknown',
  'meta',
  '{meta}',
  'victim}:b:{x',
  'victim:b:export',
  'victim',
  '{victim}',
  '',
  ' victim',
  'VICTIM',
);
const anyId = fc.oneof(crafted, fc.string(), fc.string({ unit: 'binary' }), fc.stringMatching(/^[~{}A-Za-z0-9:._@-]{0,20}$/));

const PERMISSIVE: TenantIdRules = { pattern: /^[\s\S]*$/, maxLength: 1024 };

function world(rules?: TenantIdRules) {
  const clock = new FakeClock();
  const store = new RecordingStore(clock);
  const http = createHttpRateLimiter({
    env: false,
    load: { enabled: false },
    clock,
    store,
    blockedCache: false,
    routes: [{ path: '/export', bucket: 'export' }],
    admin: { token: TOKEN },
    ...(rules && { tenantIdRules: rules }),
  });
  return { clock, store, http, manager: http.manager };
}

/** Makes the manager know internal subjects and route buckets, as a running server would. */
async function warm(manager: RateLimitManager): Promise<void> {
  await manager.checkRateLimit(manager.anonymous(`ip:${VICTIM}`), '/');
  await manager.checkRateLimit(manager.anonymous('shared'), '/');
  await manager.checkRateLimit('victim', '/export');
  await manager.admit('victim', '/');
}

/** Every key touched since `from` has the stem `{id}` exactly. */
function touchedOnly(store: RecordingStore, from: number, id: string): void {
  for (const key of store.keys.slice(from)) expect(key.startsWith(`{${id}}:`), `${JSON.stringify(id)} touched ${key}`).toBe(true);
}

describe('tenant ids cannot reach internal buckets', () => {
  it('a tenant header spelling an anonymous stem is a 400 and leaves the anonymous bucket alone (the issue repro)', async () => {
    const l = createHttpRateLimiter({ env: false, load: { enabled: false } });
    const r = async (headers: Record<string, string>, ip: string) => {
      const outcome = await l.handle({ method: 'GET', url: '/', headers, ip, raw: {} });
      return outcome.action === 'respond' ? outcome.status : 200;
    };
    expect(await r({}, VICTIM)).toBe(200);
    for (let i = 0; i < 10; i++) expect(await r({ 'x-tenant-id': `{~anon:ip:${VICTIM}}` }, '198.51.100.1')).toBe(400);
    const victim = await l.handle({ method: 'GET', url: '/', headers: {}, ip: VICTIM, raw: {} });
    expect(victim.action).toBe('continue');
    expect(victim.action === 'continue' && victim.headers['X-RateLimit-Remaining']).toBe('8');
    await l.close();
  });

  it('checkRateLimit refuses a non-string, non-subject tenant with InvalidTenantError', async () => {
    const manager = createRateLimitManager({ env: false, load: { enabled: false } });
    await manager.checkRateLimit(manager.anonymous(`ip:${VICTIM}`), '/');
    const forged = { key: `{~anon:ip:${VICTIM}}`, tenantId: 'anonymous', anonymous: true, tier: 'free' };
    for (const bad of [undefined, null, 42, {}, forged, { key: '{acme}', tenantId: 'acme', anonymous: false }]) {
      expect(await rejected(manager.checkRateLimit(bad as unknown as string, '/')), JSON.stringify(bad)).toBeInstanceOf(InvalidTenantError);
      expect(await rejected(manager.admit(bad as unknown as string, '/'))).toBeInstanceOf(InvalidTenantError);
      expect(await rejected(manager.acquireConcurrency(bad as unknown as string))).toBeInstanceOf(InvalidTenantError);
    }
    expect(() => manager.tenant(undefined as unknown as string)).toThrow(InvalidTenantError);
    await manager.close();
  });

  it('even permissive tenantIdRules cannot name an internal stem', async () => {
    const { manager, store } = world(PERMISSIVE);
    await warm(manager);
    for (const id of [`~anon:ip:${VICTIM}`, '~anon:shared', `{~anon:ip:${VICTIM}}`]) {
      const from = store.keys.length;
      expect(await rejected(manager.checkRateLimit(id, '/'))).toBeInstanceOf(InvalidTenantError);
      expect(store.keys.length).toBe(from);
    }
    await manager.close();
  });

  for (const [name, rules] of [
    ['default rules', undefined],
    ['permissive rules', PERMISSIVE],
  ] as const) {
    it(`property (${name}): deciding as any string either throws InvalidTenantError or touches only {s} keys`, async () => {
      const { manager, store } = world(rules);
      await warm(manager);
      await fc.assert(
        fc.asyncProperty(anyId, fc.constantFrom('/', '/export'), fc.boolean(), async (id, path, withSlot) => {
          const from = store.keys.length;
          try {
            if (withSlot) {
              const { slot } = await manager.admit(id, path);
              await slot?.release();
            } else await manager.checkRateLimit(id, path);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidTenantError);
            expect(store.keys.length).toBe(from);
            return;
          }
          touchedOnly(store, from, id);
        }),
        { numRuns: 400 },
      );
      await manager.close();
    });

    it(`property (${name}): the admin API under any tenant path answers 400/404 or touches only {s} keys`, async () => {
      const { http, store, manager } = world(rules);
      await warm(manager);
      const auth = { authorization: `Bearer ${TOKEN}` };
      await fc.assert(
        fc.asyncProperty(anyId, fc.constantFrom('', '/reset', '/override'), fc.constantFrom('GET', 'DELETE', 'PUT'), async (id, suffix, method) => {
          const from = store.keys.length;
          const res = await http.handleAdmin({
            method,
            path: `/admin/ratelimit/tenants/${encodeURIComponent(id)}${suffix}`,
            headers: auth,
            body: method === 'PUT' ? { burstSize: 3 } : undefined,
          });
          expect(res).toBeDefined();
          expect(res?.status).toBeLessThan(500);
          if (res?.status === 400) {
            expect(store.keys.length).toBe(from);
            return;
          }
          touchedOnly(store, from, id);
        }),
        { numRuns: 300 },
      );
      // The anonymous buckets warmed above are untouched: full again only by refill, never reset.
      expect(store.keys.filter((k) => k.includes('~anon')).every((k) => k.startsWith('{~anon:'))).toBe(true);
      await manager.close();
    });
  }
});
