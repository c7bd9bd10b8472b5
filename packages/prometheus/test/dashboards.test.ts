import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createPrometheusObserver, METRIC_NAMES } from '../src/index.js';

const docs = new URL('../../../docs/', import.meta.url);
const known = new Set<string>(Object.values(METRIC_NAMES));

/** Metric names a PromQL expression queries, with histogram suffixes mapped to their metric. */
function queried(expr: string): string[] {
  return [...expr.matchAll(/aurum_api_tenant_ratelimit_[a-z_]+/g)].map((m) => {
    const name = m[0];
    const base = name.replace(/_(bucket|count|sum)$/, '');
    return known.has(name) ? name : base;
  });
}

async function labelNames(): Promise<Map<string, Set<string>>> {
  const registry = new Registry();
  const observer = createPrometheusObserver({ registry });
  observer.onDecision?.({
    allowed: false,
    tenantId: 't',
    tier: 'free',
    anonymous: false,
    path: '/',
    route: '/',
    bucket: 'default',
    policy: 'free',
    cost: 1,
    limit: 10,
    remaining: 0,
    requestsPerSecond: 5,
    windowSeconds: 2,
    resetAfter: 1,
    resetAfterMs: 100,
    retryAfterMs: 100,
    loadFactor: 1,
    source: 'primary',
    exceeded: true,
    shadow: false,
    skipped: false,
    durationMs: 0.1,
  });
  observer.onConcurrency?.({ tenantId: 't', tier: 'free', allowed: false, active: 1, limit: 1 });
  observer.onStoreFailure?.({ operation: 'consume', error: new Error('x'), timedOut: true, store: 'redis' });
  const out = new Map<string, Set<string>>();
  for (const m of await registry.getMetricsAsJSON()) {
    const labels = new Set<string>(['le', 'job', 'instance']);
    for (const v of (m as { values: Array<{ labels: Record<string, unknown> }> }).values) for (const l of Object.keys(v.labels)) labels.add(l);
    out.set(m.name, labels);
  }
  return out;
}

describe('docs/grafana-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(new URL('grafana-dashboard.json', docs), 'utf8')) as {
    panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
  };

  it('parses, and every query names metrics and labels the observer exports', async () => {
    const labels = await labelNames();
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    for (const expr of exprs) {
      const names = queried(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) {
        expect(known, `${name} in ${expr}`).toContain(name);
        for (const [, label] of expr.matchAll(/\b(?:by|without) \(([^)]*)\)/g)) {
          for (const l of (label as string).split(',').map((s) => s.trim())) expect(labels.get(name), `${l} on ${name}`).toContain(l);
        }
      }
    }
  });

  it('covers decisions by tier and result, top limited tenants, breaker, failures and fallback share', () => {
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join('\n');
    for (const topic of ['tier and result', 'top limited tenants', 'circuit breaker', 'failures', 'fallback']) expect(titles).toContain(topic);
  });
});

describe('docs/prometheus-rules.yml', () => {
  const rules = parse(readFileSync(new URL('prometheus-rules.yml', docs), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };

  it('parses, alerts on an open breaker and rising cache failures, and queries only exported metrics', () => {
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.map((r) => r.alert)).toEqual(expect.arrayContaining(['AurumRateLimitCircuitOpen', 'AurumRateLimitCacheFailuresRising']));
    for (const rule of all) for (const name of queried(rule.expr)) expect(known, `${name} in ${rule.alert}`).toContain(name);
  });
});
