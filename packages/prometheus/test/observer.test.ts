import { createRateLimitManager } from '@aurum/ratelimit-core';
import { MemoryStore, type RateLimitStore } from '@aurum/ratelimit-core/store';
import { FakeClock } from '@aurum/ratelimit-testkit';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createPrometheusObserver, LabelLimiter, METRIC_NAMES, OTHER } from '../src/index.js';

const base = { env: false as const, load: { enabled: false } };

async function labelValues(registry: Registry, metric: string, label: string): Promise<Set<string>> {
  const json = await registry.getMetricsAsJSON();
  const m = json.find((x) => x.name === metric) as { values: Array<{ labels: Record<string, string> }> } | undefined;
  return new Set((m?.values ?? []).map((v) => v.labels[label] as string).filter((v) => v !== undefined));
}

describe('createPrometheusObserver', () => {
  it('registers the seed metrics and the operational ones on the given registry', async () => {
    const registry = new Registry();
    const observer = createPrometheusObserver({ registry });
    const manager = createRateLimitManager({ ...base, observer, tierRules: [{ pattern: 'ent-*', tier: 'enterprise' }] });
    for (let i = 0; i < 12; i++) await manager.checkRateLimit('acme', '/v1/items/123', { route: '/v1/items/:id' });
    await manager.checkRateLimit('ent-big', '/v1/items/1');
    const slot = await manager.acquireConcurrency('acme');
    await slot.release();
    const text = await registry.metrics();
    for (const name of Object.values(METRIC_NAMES)) expect(text, name).toContain(`# TYPE ${name} `);
    expect(text).toContain('aurum_api_tenant_ratelimit_total{result="allowed",path="/v1/items/:id",tenant="other",tier="free"} 10');
    expect(text).toContain('aurum_api_tenant_ratelimit_total{result="limited",path="/v1/items/:id",tenant="other",tier="free"} 2');
    expect(text).toMatch(/aurum_api_tenant_ratelimit_block_duration_seconds_count\{tier="free"\} 2/);
    expect(text).toMatch(/aurum_api_tenant_ratelimit_active_windows\{tier="free"\} 1/);
    expect(text).toMatch(/aurum_api_tenant_ratelimit_active_windows\{tier="enterprise"\} 1/);
    expect(text).toMatch(/aurum_api_tenant_ratelimit_decisions_by_source_total\{source="primary"\} 13/);
    expect(text).toMatch(/aurum_api_tenant_ratelimit_concurrency_total\{result="allowed",tier="free"\} 1/);
    expect(text).toContain('aurum_api_tenant_ratelimit_circuit_state 0');
    await manager.close();
  });

  it('ages bucket windows on the injected clock, not the wall clock', async () => {
    const registry = new Registry();
    const clock = new FakeClock();
    const observer = createPrometheusObserver({ registry, clock });
    const manager = createRateLimitManager({ ...base, observer, clock });
    await manager.checkRateLimit('acme', '/');
    expect(await registry.metrics()).toMatch(/aurum_api_tenant_ratelimit_active_windows\{tier="free"\} 1/);
    // The free bucket (5/s) is full again 200 ms later; the gauge tolerates its 250 ms granularity.
    clock.advance(200 + 250);
    expect(await registry.metrics()).toMatch(/aurum_api_tenant_ratelimit_active_windows\{tier="free"\} 0/);
    await manager.close();
  });

  it('counts user lookups that fail or miss their deadline', async () => {
    const registry = new Registry();
    const observer = createPrometheusObserver({ registry });
    const manager = createRateLimitManager({
      ...base,
      observer,
      lookupTimeoutMs: 20,
      resolveTier: (id) => (id === 'broken' ? Promise.reject(new Error('db down')) : new Promise(() => {})),
    });
    await manager.checkRateLimit('hanging', '/');
    await manager.checkRateLimit('broken', '/');
    const text = await registry.metrics();
    expect(text).toContain('aurum_api_tenant_ratelimit_lookup_failures_total{lookup="resolveTier",reason="timeout"} 1');
    expect(text).toContain('aurum_api_tenant_ratelimit_lookup_failures_total{lookup="resolveTier",reason="error"} 1');
    await manager.close();
  });

  it('keeps the tenant label bounded under 10,000 random tenant ids, while heavy hitters get their own', async () => {
    const registry = new Registry();
    const observer = createPrometheusObserver({ registry, tenantLabel: { max: 20, promoteAfter: 5, allow: ['vip'] } });
    const manager = createRateLimitManager({ ...base, observer, tiers: { free: { requestsPerSecond: 1e6, burstSize: 1e6 } } });
    for (let i = 0; i < 10_000; i++) await manager.checkRateLimit(`rnd-${Math.random().toString(36).slice(2)}`, '/x');
    for (let i = 0; i < 10; i++) await manager.checkRateLimit('heavy', '/x');
    await manager.checkRateLimit('vip', '/x');
    const tenants = await labelValues(registry, METRIC_NAMES.total, 'tenant');
    expect(tenants.size).toBeLessThanOrEqual(22);
    expect(tenants).toContain('heavy');
    expect(tenants).toContain('vip');
    expect(tenants).toContain(OTHER);
    await manager.close();
  });

  it('keeps the path label bounded too', async () => {
    const registry = new Registry();
    const observer = createPrometheusObserver({ registry, maxPaths: 10 });
    const manager = createRateLimitManager({ ...base, observer, tiers: { free: { requestsPerSecond: 1e6, burstSize: 1e6 } } });
    for (let i = 0; i < 500; i++) await manager.checkRateLimit('t', `/page-${i}`);
    expect((await labelValues(registry, METRIC_NAMES.total, 'path')).size).toBeLessThanOrEqual(11);
    await manager.close();
  });

  it('follows the breaker and counts store failures by kind', async () => {
    const registry = new Registry();
    const observer = createPrometheusObserver({ registry });
    const memory = new MemoryStore();
    const failing: RateLimitStore = {
      name: 'flaky',
      consume: async () => {
        throw new Error('down');
      },
      inspect: (k, p) => memory.inspect(k, p),
      acquire: (k, l, ms) => memory.acquire(k, l, ms),
      release: (k, id) => memory.release(k, id),
      countLeases: (k) => memory.countLeases(k),
      reset: (k) => memory.reset(k),
      ping: async () => {},
      close: () => memory.close(),
    };
    const clock = new FakeClock();
    const manager = createRateLimitManager({ ...base, clock, observer, store: failing, circuitBreaker: { minimumCalls: 2, resetTimeoutMs: 1000 } });
    for (let i = 0; i < 3; i++) await manager.checkRateLimit('t', '/');
    const text = await registry.metrics();
    expect(text).toContain('aurum_api_tenant_ratelimit_circuit_state 2');
    expect(text).toContain('aurum_api_tenant_ratelimit_cache_failures_total{operation="consume",kind="error"} 2');
    expect(text).toContain('aurum_api_tenant_ratelimit_decisions_by_source_total{source="fallback"} 3');
    await manager.close();
  });

  it('feeds system_load and the per-tier load_factor on every load sample, traffic or not', async () => {
    const registry = new Registry();
    const observer = createPrometheusObserver({ registry });
    const clock = new FakeClock();
    const intervals: Array<() => void> = [];
    const timers = {
      setTimeout: () => 0,
      clearTimeout: () => {},
      setInterval: (fn: () => void) => intervals.push(fn),
      clearInterval: () => {},
    };
    const manager = createRateLimitManager({ env: false, observer, clock, timers, load: { signal: () => 1, smoothingMs: 0, floor: 0.05 } });
    for (const fire of intervals) fire();
    const text = await registry.metrics();
    expect(text).toContain('aurum_api_tenant_ratelimit_system_load 1');
    expect(text).toContain('aurum_api_tenant_ratelimit_load_factor{tier="free"} 0.05');
    const enterprise = Number(/aurum_api_tenant_ratelimit_load_factor\{tier="enterprise"\} (\S+)/.exec(text)?.[1]);
    expect(enterprise).toBeCloseTo(0.1 ** (1 / 1.2), 10);
    await manager.close();
  });

  it('lets a second observer share a registry', () => {
    const registry = new Registry();
    const a = createPrometheusObserver({ registry });
    const b = createPrometheusObserver({ registry });
    expect(b.metrics.total).toBe(a.metrics.total);
  });
});

describe('LabelLimiter', () => {
  it('promotes after N occurrences, caps promotions, and always honours the allow-list', () => {
    const l = new LabelLimiter({ max: 2, promoteAfter: 3, allow: ['a'] });
    expect(l.label('a')).toBe('a');
    expect([l.label('x'), l.label('x'), l.label('x')]).toEqual([OTHER, OTHER, 'x']);
    for (let i = 0; i < 3; i++) l.label('y');
    for (let i = 0; i < 3; i++) expect(l.label('z')).toBe(OTHER);
    expect(l.size).toBe(3);
  });
});
