import { describe, expect, it } from 'vitest';
import { normalizePath } from '../src/routing/path.js';
import { compileRoutePattern } from '../src/routing/route-rules.js';
import { compileRouteRules, matchRouteRule } from '../src/routing/route-rules.js';

describe('compileRoutePattern', () => {
  it('matches literal paths exactly, case-insensitively by default', () => {
    const re = compileRoutePattern('/v1/export', false);
    expect(re.test('/v1/export')).toBe(true);
    expect(re.test('/V1/EXPORT')).toBe(true);
    expect(re.test('/v1/export/x')).toBe(false);
    expect(re.test('/v1/exports')).toBe(false);
    expect(re.test('/x/v1/export')).toBe(false);
  });

  it('is case-sensitive when asked', () => {
    const re = compileRoutePattern('/v1/export', true);
    expect(re.test('/v1/export')).toBe(true);
    expect(re.test('/V1/Export')).toBe(false);
  });

  it('matches one segment for :name and *', () => {
    for (const pattern of ['/v1/users/:id', '/v1/users/*']) {
      const re = compileRoutePattern(pattern, false);
      expect(re.test('/v1/users/42')).toBe(true);
      expect(re.test('/v1/users')).toBe(false);
      expect(re.test('/v1/users/42/orders')).toBe(false);
    }
  });

  it('matches the rest (including nothing) for a trailing /**', () => {
    const re = compileRoutePattern('/v1/admin/**', false);
    expect(re.test('/v1/admin')).toBe(true);
    expect(re.test('/v1/admin/a/b/c')).toBe(true);
    expect(re.test('/v1/administrator')).toBe(false);
    expect(compileRoutePattern('/**', false).test('/anything/at/all')).toBe(true);
  });

  it('ignores a trailing slash in the pattern', () => {
    expect(compileRoutePattern('/v1/export/', false).test('/v1/export')).toBe(true);
  });

  it('escapes regular-expression characters in literal segments', () => {
    const re = compileRoutePattern('/v1/a.b+c', false);
    expect(re.test('/v1/a.b+c')).toBe(true);
    expect(re.test('/v1/aXbbc')).toBe(false);
    expect(compileRoutePattern('/v1/x**y', false).test('/v1/xabcy')).toBe(false);
  });

  it('matches only the root for /', () => {
    const re = compileRoutePattern('/', false);
    expect(re.test('/')).toBe(true);
    expect(re.test('/x')).toBe(false);
  });

  it('uses a RegExp as is, minus the stateful g and y flags', () => {
    const re = compileRoutePattern(/^\/v1\/search/gy, false);
    expect(re.flags).toBe('');
    expect(re.test('/v1/search')).toBe(true);
    expect(re.test('/v1/search')).toBe(true);
  });
});

describe('matchRouteRule', () => {
  const rules = compileRouteRules(
    [
      { path: '/v1/export', method: 'post', cost: 10 },
      { path: '/v1/export', cost: 2 },
      { path: '/v1/users/:id', method: ['GET', 'HEAD'], bucket: 'users' },
      { path: /^\/v1\/search/, skip: true },
    ],
    false,
  );

  it('returns the first rule that matches path and method', () => {
    expect(matchRouteRule(rules, '/v1/export', 'POST')?.rule.cost).toBe(10);
    expect(matchRouteRule(rules, '/v1/export', 'get')?.rule.cost).toBe(2);
    expect(matchRouteRule(rules, '/v1/users/7', 'head')?.rule.bucket).toBe('users');
    expect(matchRouteRule(rules, '/v1/users/7', 'DELETE')).toBeUndefined();
    expect(matchRouteRule(rules, '/v1/search', 'GET')?.rule.skip).toBe(true);
    expect(matchRouteRule(rules, '/v1/other', 'GET')).toBeUndefined();
  });

  it('skips method-specific rules when the method is unknown', () => {
    expect(matchRouteRule(rules, '/v1/export', undefined)?.rule.cost).toBe(2);
  });

  it('labels rules with their pattern', () => {
    expect(rules.map((r) => r.label)).toEqual(['/v1/export', '/v1/export', '/v1/users/:id', '/^\\/v1\\/search/']);
  });

  it('cannot be bypassed by spelling the path another way', () => {
    const spellings = [
      '/v1/export',
      '/V1/Export',
      '/v1//export',
      '/v1/export/',
      '/v1/export?x=1',
      '/v1/./export',
      '/v1/x/../export',
      '/v1/%65xport',
      '/%76%31/export',
      '/v1/x/%2e%2e/export',
      '//v1/export//?a',
      'http://api.example.com/v1/export',
    ];
    for (const s of spellings) expect(matchRouteRule(rules, normalizePath(s), 'POST')?.rule.cost, s).toBe(10);
  });
});
