import { describe, expect, it } from 'vitest';
import { pathLabel } from '../src/adapter.js';
import { normalizePath } from '../src/routing/path.js';

describe('normalizePath', () => {
  it.each([
    ['/v1/export', '/v1/export'],
    ['/v1/export?format=csv', '/v1/export'],
    ['/v1/export#frag', '/v1/export'],
    ['/v1/export/?a=/b', '/v1/export'],
    ['/v1//export', '/v1/export'],
    ['//v1///export//', '/v1/export'],
    ['/v1/export/', '/v1/export'],
    ['/v1/./export', '/v1/export'],
    ['/v1/x/../export', '/v1/export'],
    ['/v1/x/y/../../export', '/v1/export'],
    ['/../../v1/export', '/v1/export'],
    ['/v1/export/.', '/v1/export'],
    ['/v1/%65xport', '/v1/export'],
    ['/v1/%45XPORT', '/v1/EXPORT'],
    ['/%76%31/%65%78%70%6f%72%74', '/v1/export'],
    ['/v1/x/%2e%2e/export', '/v1/export'],
    ['/v1/x/%2E%2E/export', '/v1/export'],
    ['/v1/%2e/export', '/v1/export'],
    ['/v1/a%5Fb%2Dc%7E', '/v1/a_b-c~'],
    ['https://api.example.com/v1/export?x=1', '/v1/export'],
    ['', '/'],
    ['/', '/'],
    ['?x=1', '/'],
  ])('%j → %j', (input, expected) => {
    expect(normalizePath(input)).toBe(expected);
  });

  it('keeps reserved escapes encoded (upper-cased) so an encoded slash is not a separator', () => {
    expect(normalizePath('/v1/a%2fb')).toBe('/v1/a%2Fb');
    expect(normalizePath('/v1/a%3fb')).toBe('/v1/a%3Fb');
    expect(normalizePath('/v1/%40me')).toBe('/v1/%40me');
  });

  it('decodes only once: %2561 is "%61" literally, not "a"', () => {
    expect(normalizePath('/v1/%2561')).toBe('/v1/%2561');
  });

  it('keeps letter case (matching decides about case)', () => {
    expect(normalizePath('/V1/Export')).toBe('/V1/Export');
  });

  it('is idempotent', () => {
    for (const p of ['/v1//x/../%65xport/?q', '/A/%2f/./b', 'http://h/x/y/']) {
      const once = normalizePath(p);
      expect(normalizePath(once)).toBe(once);
    }
  });
});

describe('pathLabel', () => {
  it.each([
    ['/', '/'],
    ['/v1/users', '/v1/users'],
    ['/v1/users/12345', '/v1/users/:id'],
    ['/v1/users/550e8400-e29b-41d4-a716-446655440000/orders', '/v1/users/:id/orders'],
    ['/v1/blobs/deadbeefdeadbeef', '/v1/blobs/:id'],
    ['/v1/tokens/abcDEF123456789012345', '/v1/tokens/:id'],
    ['/v1/very-long-segment-without-digits', '/v1/very-long-segment-without-digits'],
    ['/v1/v2', '/v1/v2'],
  ])('%j → %j', (input, expected) => {
    expect(pathLabel(input)).toBe(expected);
  });
});
