import { describe, expect, it } from 'vitest';
import { InvalidTenantError } from '../src/index.js';
import { tenantFromHeaders } from '../src/tenant/identify.js';
import { assertTenantId, DEFAULT_TENANT_ID_MAX_LENGTH, DEFAULT_TENANT_ID_PATTERN, tenantIdProblem } from '../src/tenant/tenant-id.js';
import { thrown } from './support.js';

describe('tenant id validation', () => {
  it.each(['acme-corp', 'a', 'ACME', '42', 'org_123', 'tenant.example.com', 'urn:tenant:7', 'user@example.com', 'a'.repeat(DEFAULT_TENANT_ID_MAX_LENGTH)])(
    'accepts %j',
    (id) => {
      expect(tenantIdProblem(id)).toBeUndefined();
      expect(assertTenantId(id)).toBe(id);
    },
  );

  it.each<[unknown, string]>([
    ['', 'must not be empty'],
    ['a'.repeat(DEFAULT_TENANT_ID_MAX_LENGTH + 1), 'must be at most 128 characters'],
    ['acmé', 'must be ASCII'],
    ['租户', 'must be ASCII'],
    ['acme\u200bcorp', 'must be ASCII'],
    ['{acme}', 'must not contain braces'],
    ['acme}x', 'must not contain braces'],
    ['acme corp', 'must not contain whitespace or control characters'],
    [' acme', 'must not contain whitespace or control characters'],
    ['acme\t', 'must not contain whitespace or control characters'],
    ['acme\r\nX-Admin: 1', 'must not contain whitespace or control characters'],
    ['acme\u0000', 'must not contain whitespace or control characters'],
    ['acme\u007f', 'must not contain whitespace or control characters'],
    ['acme/corp', `must match ${String(DEFAULT_TENANT_ID_PATTERN)}`],
    ['acme*', `must match ${String(DEFAULT_TENANT_ID_PATTERN)}`],
    ['-acme', `must match ${String(DEFAULT_TENANT_ID_PATTERN)}`],
    ['.hidden', `must match ${String(DEFAULT_TENANT_ID_PATTERN)}`],
    ['~anon:ip:1.2.3.4', 'must not start with ~'],
    [42, 'must be a string'],
    [undefined, 'must be a string'],
  ])('refuses %j: %s', (id, reason) => {
    expect(tenantIdProblem(id)).toBe(reason);
    const error = thrown(() => assertTenantId(id));
    expect(error).toBeInstanceOf(InvalidTenantError);
    expect((error as InvalidTenantError).code).toBe('ERR_AURUM_INVALID_TENANT');
    expect((error as InvalidTenantError).reason).toBe(reason);
    expect((error as Error).message).toBe(`Invalid tenant id: ${reason}`);
  });

  it('honours a custom maximum length', () => {
    expect(tenantIdProblem('abcdef', { maxLength: 5 })).toBe('must be at most 5 characters');
    expect(tenantIdProblem('abcde', { maxLength: 5 })).toBeUndefined();
  });

  it('honours a custom pattern, even a global one used twice', () => {
    const rules = { pattern: /^t-\d+$/g };
    expect(tenantIdProblem('t-1', rules)).toBeUndefined();
    expect(tenantIdProblem('t-1', rules)).toBeUndefined();
    expect(tenantIdProblem('acme', rules)).toBe('must match /^t-\\d+$/g');
  });

  it('refuses braces, whitespace and non-ASCII whatever the custom pattern allows', () => {
    const anything = { pattern: /.*/s };
    expect(tenantIdProblem('{x}', anything)).toBe('must not contain braces');
    expect(tenantIdProblem('a b', anything)).toBe('must not contain whitespace or control characters');
    expect(tenantIdProblem('ä', anything)).toBe('must be ASCII');
  });
});

describe('tenantFromHeaders', () => {
  const names = ['x-tenant-id', 'x-aurum-tenant'];

  it('finds the first configured header present', () => {
    expect(tenantFromHeaders({ 'x-aurum-tenant': 'b', 'x-tenant-id': 'a' }, names)).toEqual({ found: true, value: 'a' });
    expect(tenantFromHeaders({ 'x-aurum-tenant': 'b' }, names)).toEqual({ found: true, value: 'b' });
  });

  it('reports no tenant when no header is present', () => {
    expect(tenantFromHeaders({ host: 'x' }, names)).toEqual({ found: false });
    expect(tenantFromHeaders({ 'x-tenant-id': undefined }, names)).toEqual({ found: false });
    expect(tenantFromHeaders({ 'x-tenant-id': 'a' }, [])).toEqual({ found: false });
  });

  it('treats an empty header as a problem, not as no tenant', () => {
    expect(tenantFromHeaders({ 'x-tenant-id': '' }, names)).toEqual({ found: true, problem: 'header x-tenant-id must not be empty' });
  });

  it('treats a repeated header as a problem', () => {
    expect(tenantFromHeaders({ 'x-tenant-id': ['a', 'b'] }, names)).toEqual({ found: true, problem: 'header x-tenant-id must be sent once' });
  });
});
