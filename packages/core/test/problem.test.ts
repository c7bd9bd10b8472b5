import { describe, expect, it } from 'vitest';
import { type ProblemKind, problemResponse, requestInstance } from '../src/adapter.js';

describe('problemResponse, seed (aurum) format', () => {
  it('builds the seed body exactly, keys in the seed order', () => {
    const res = problemResponse({
      kind: 'rate_limited',
      format: 'aurum',
      detail: 'Too many requests for tenant acme-corp',
      instance: 'req-123',
      retryAfter: 60,
    });
    expect(res.status).toBe(429);
    expect(res.headers).toEqual({ 'Content-Type': 'application/json; charset=utf-8' });
    expect(res.body).toBe(
      '{"error":{"type":"https://aurum.api/errors/rate_limit_exceeded","title":"Rate Limit Exceeded","detail":"Too many requests for tenant acme-corp","retry_after":60,"instance":"req-123"}}',
    );
  });

  it.each<[ProblemKind, number, string, string]>([
    ['concurrency_limited', 429, 'concurrency_limit_exceeded', 'Concurrency Limit Exceeded'],
    ['load_shed', 503, 'service_overloaded', 'Service Overloaded'],
    ['invalid_tenant', 400, 'invalid_tenant', 'Invalid Tenant'],
    ['tenant_required', 400, 'tenant_required', 'Tenant Required'],
    ['unavailable', 503, 'rate_limiter_unavailable', 'Rate Limiter Unavailable'],
  ])('%s → %i %s', (kind, status, type, title) => {
    const res = problemResponse({ kind, format: 'aurum', detail: 'd', instance: 'i' });
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body)).toEqual({ error: { type: `https://aurum.api/errors/${type}`, title, detail: 'd', instance: 'i' } });
  });

  it('lets the caller choose the status (load shedding as 429)', () => {
    expect(problemResponse({ kind: 'load_shed', format: 'aurum', detail: 'd', instance: 'i', retryAfter: 2 }, 429).status).toBe(429);
  });
});

describe('problemResponse, rfc9457 format', () => {
  it('builds a top-level problem document with the draft problem type', () => {
    const res = problemResponse({
      kind: 'rate_limited',
      format: 'rfc9457',
      detail: 'Too many requests for tenant acme-corp',
      instance: 'req-1',
      retryAfter: 3,
      policies: ['free'],
    });
    expect(res.status).toBe(429);
    expect(res.headers).toEqual({ 'Content-Type': 'application/problem+json' });
    expect(JSON.parse(res.body)).toEqual({
      type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
      title: 'Request cannot be satisfied as assigned quota has been exceeded',
      status: 429,
      detail: 'Too many requests for tenant acme-corp',
      instance: 'req-1',
      'violated-policies': ['free'],
      retry_after: 3,
    });
  });

  it('uses temporary-reduced-capacity for load shedding, with the status given', () => {
    const body = JSON.parse(problemResponse({ kind: 'load_shed', format: 'rfc9457', detail: 'd', instance: 'i' }, 503).body);
    expect(body.type).toBe('https://iana.org/assignments/http-problem-types#temporary-reduced-capacity');
    expect(body.status).toBe(503);
  });

  it('falls back to the aurum type for kinds the draft does not cover', () => {
    const body = JSON.parse(problemResponse({ kind: 'invalid_tenant', format: 'rfc9457', detail: 'd', instance: 'i' }).body);
    expect(body).toEqual({ type: 'https://aurum.api/errors/invalid_tenant', title: 'Invalid Tenant', status: 400, detail: 'd', instance: 'i' });
  });
});

describe('requestInstance', () => {
  it('echoes a printable request id', () => {
    expect(requestInstance('req-abc-123')).toBe('req-abc-123');
    expect(requestInstance(['first', 'second'])).toBe('first');
    expect(requestInstance('x'.repeat(200))).toBe('x'.repeat(200));
  });

  it.each([undefined, '', 'has space', 'new\nline', 'x'.repeat(201), 'ünïcode'])('generates a fresh id instead of %j', (header) => {
    const id = requestInstance(header);
    expect(id).toMatch(/^req-[0-9a-f]{16}$/);
  });

  it('generates different ids each time', () => {
    expect(requestInstance(undefined)).not.toBe(requestInstance(undefined));
  });
});
