import { describe, expect, it, vi } from 'vitest';
import type { ResolveTier, Tier } from '../src/index.js';
import { compilePattern } from '../src/tenant/tier-resolver.js';
import { TierResolver, type TierResolverOptions } from '../src/tenant/tier-resolver.js';
import { FakeClock, recordingLogger } from './support.js';

function resolver(options: Partial<TierResolverOptions> = {}) {
  const clock = new FakeClock();
  const log = recordingLogger();
  const r = new TierResolver({ rules: [], defaultTier: 'free', cacheSize: 100, cacheTtlMs: 1000, clock, logger: log.logger, ...options });
  return { r, clock, log };
}

describe('compilePattern', () => {
  it('turns a glob into an anchored RegExp: * any run, ? one character', () => {
    const re = compilePattern('ent-*');
    expect(re.test('ent-acme')).toBe(true);
    expect(re.test('ent-')).toBe(true);
    expect(re.test('xent-acme')).toBe(false);
    const q = compilePattern('t?-1');
    expect(q.test('ta-1')).toBe(true);
    expect(q.test('t-1')).toBe(false);
    expect(q.test('tab-1')).toBe(false);
  });

  it('escapes RegExp characters in a glob', () => {
    const re = compilePattern('acme.corp+(eu)');
    expect(re.test('acme.corp+(eu)')).toBe(true);
    expect(re.test('acmeXcorpp(eu)')).toBe(false);
  });

  it('drops the stateful flags of a RegExp', () => {
    const re = compilePattern(/^ent-/gi);
    expect(re.flags).toBe('i');
    expect(re.test('ENT-1')).toBe(true);
    expect(re.test('ENT-1')).toBe(true);
  });
});

describe('TierResolver', () => {
  it('uses the first matching rule', () => {
    const { r } = resolver({
      rules: [
        { pattern: 'ent-trial-*', tier: 'basic' },
        { pattern: 'ent-*', tier: 'enterprise' },
        { pattern: /^p-/, tier: 'premium' },
      ],
    });
    expect(r.resolve('ent-trial-1')).toBe('basic');
    expect(r.resolve('ent-acme')).toBe('enterprise');
    expect(r.resolve('p-1')).toBe('premium');
    expect(r.resolve('other')).toBe('free');
  });

  it('returns the default tier synchronously without a lookup', () => {
    const { r } = resolver({ defaultTier: 'basic' });
    expect(r.resolve('x')).toBe('basic');
  });

  it('asks resolveTier for unmatched tenants, and caches the answer', async () => {
    const lookup = vi.fn<ResolveTier>(async (id) => (id === 'big' ? 'enterprise' : undefined));
    const { r } = resolver({ rules: [{ pattern: 'ent-*', tier: 'enterprise' }], resolveTier: lookup });
    expect(await r.resolve('big')).toBe('enterprise');
    expect(r.resolve('big')).toBe('enterprise'); // cached: synchronous now
    expect(await r.resolve('small')).toBe('free');
    expect(r.resolve('small')).toBe('free');
    expect(r.resolve('ent-x')).toBe('enterprise');
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('accepts a synchronous resolveTier', async () => {
    const { r } = resolver({ resolveTier: () => 'premium' });
    expect(await r.resolve('x')).toBe('premium');
  });

  it('expires cached answers after the TTL', async () => {
    let tier: Tier = 'basic';
    const lookup = vi.fn<ResolveTier>(() => tier);
    const { r, clock } = resolver({ resolveTier: lookup, cacheTtlMs: 1000 });
    expect(await r.resolve('t')).toBe('basic');
    tier = 'premium';
    clock.advance(999);
    expect(await r.resolve('t')).toBe('basic');
    clock.advance(1);
    expect(await r.resolve('t')).toBe('premium');
    expect(lookup).toHaveBeenCalledTimes(2);
  });

  it('bounds the cache', async () => {
    const lookup = vi.fn<ResolveTier>(() => 'basic');
    const { r } = resolver({ resolveTier: lookup, cacheSize: 2 });
    for (const id of ['a', 'b', 'c']) await r.resolve(id);
    await r.resolve('a');
    expect(lookup).toHaveBeenCalledTimes(4);
  });

  it('falls back to the default tier when resolveTier fails, without caching the failure', async () => {
    let fail = true;
    const lookup = vi.fn<ResolveTier>(async (): Promise<Tier> => {
      if (fail) throw new Error('db down');
      return 'premium';
    });
    const { r, log } = resolver({ resolveTier: lookup, defaultTier: 'basic' });
    expect(await r.resolve('t')).toBe('basic');
    expect(log.lines.some((l) => l.level === 'warn' && l.obj.tenantId === 't')).toBe(true);
    fail = false;
    expect(await r.resolve('t')).toBe('premium');
  });

  it('falls back to the default tier when resolveTier answers an unknown tier', async () => {
    const { r, log } = resolver({ resolveTier: () => 'gold' as Tier });
    expect(await r.resolve('t')).toBe('free');
    expect(log.lines[0]?.msg).toContain('unknown tier');
  });

  it('clear() forgets one tenant or all of them', async () => {
    let tier: Tier = 'basic';
    const { r } = resolver({ resolveTier: () => tier });
    await r.resolve('a');
    await r.resolve('b');
    tier = 'premium';
    r.clear('a');
    expect(await r.resolve('a')).toBe('premium');
    expect(await r.resolve('b')).toBe('basic');
    r.clear();
    expect(await r.resolve('b')).toBe('premium');
  });
});
