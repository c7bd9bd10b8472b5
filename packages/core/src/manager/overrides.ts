import { checkOverrideWindow, checkQuota, checkTier, Issues, isPlainObject } from '../config/checks.js';
import type { ConfigIssue } from '../errors.js';
import type { TenantOverride, TenantQuotaConfig } from '../tiers.js';

/** Every problem of an override (shape, ranges, tier, refill window on the tiers it may apply to). */
export function overrideIssues(quota: unknown, tiers: Readonly<Record<string, TenantQuotaConfig>>): ConfigIssue[] {
  const issues = new Issues();
  checkQuota(issues, 'quota', quota, ['tier']);
  if (isPlainObject(quota)) {
    checkTier(issues, 'quota.tier', quota.tier, Object.keys(tiers));
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
  private readonly map = new Map<string, TenantOverride<string>>();
  private current = 0;

  constructor(initial: Readonly<Record<string, TenantOverride<string>>>) {
    for (const [id, quota] of Object.entries(initial)) this.map.set(id, quota);
  }

  /** Bumped on every change; cached tiers and quotas of an older version are stale. */
  get version(): number {
    return this.current;
  }

  get(tenantId: string): TenantOverride<string> | undefined {
    return this.map.get(tenantId);
  }

  has(tenantId: string): boolean {
    return this.map.has(tenantId);
  }

  set(tenantId: string, override: TenantOverride<string>): void {
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

  toObject(): Record<string, TenantOverride<string>> {
    return Object.fromEntries(this.map);
  }
}
