import { checkOverrideWindow, checkQuota, Issues, isPlainObject } from '../config/checks.js';
import type { ConfigIssue } from '../errors.js';
import { type TenantOverride, type TenantQuotaConfig, type Tier, TIERS } from '../tiers.js';

/** Every problem of an override (shape, ranges, tier, refill window on the tiers it may apply to). */
export function overrideIssues(quota: unknown, tiers: Readonly<Record<Tier, TenantQuotaConfig>>): ConfigIssue[] {
  const issues = new Issues();
  checkQuota(issues, 'quota', quota, ['tier']);
  if (isPlainObject(quota)) {
    if (quota.tier !== undefined && !TIERS.includes(quota.tier as Tier)) issues.add('quota.tier', `must be one of ${TIERS.join(', ')}`);
    if (issues.list.length === 0) checkOverrideWindow(issues, 'quota', quota, tiers);
  }
  return issues.list;
}

/**
 * Per-tenant quota overrides, and a version that changes whenever anything a cached tier or
 * quota was derived from may have changed (an override, a reset): tenant contexts compare it to
 * know when to recompute.
 */
export class Overrides {
  private readonly map = new Map<string, TenantOverride>();
  private current = 0;

  constructor(initial: Readonly<Record<string, TenantOverride>>) {
    for (const [id, quota] of Object.entries(initial)) this.map.set(id, quota);
  }

  /** Bumped on every change; cached tiers and quotas of an older version are stale. */
  get version(): number {
    return this.current;
  }

  get(tenantId: string): TenantOverride | undefined {
    return this.map.get(tenantId);
  }

  has(tenantId: string): boolean {
    return this.map.has(tenantId);
  }

  set(tenantId: string, override: TenantOverride): void {
    this.map.set(tenantId, override);
    this.current++;
  }

  /** Removes an override; true when there was one. */
  delete(tenantId: string): boolean {
    const existed = this.map.delete(tenantId);
    this.current++;
    return existed;
  }

  /** Marks cached tiers and quotas stale without changing an override (a reset, a fleet load). */
  invalidate(): void {
    this.current++;
  }

  toObject(): Record<string, TenantOverride> {
    return Object.fromEntries(this.map);
  }
}
