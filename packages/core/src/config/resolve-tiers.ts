// The tier table: the four default tiers, changed by env and code, plus the tiers the code declares.
import { DEFAULT_TIER_QUOTAS, TIER_NAME, TIERS, type TenantQuotaConfig, tierEnvName } from '../tiers.js';
import { checkQuota, checkWindow, closest, definedOnly, type Issues, isPlainObject } from './checks.js';

const REQUIRED = ['requestsPerSecond', 'burstSize', 'maxConcurrentRequests'] as const;

/**
 * Every tier name the options declare, defaults first: what the environment's per-tier variables,
 * `DEFAULT_TIER`, `TIER_RULES` and the like may name. Malformed names are left out here and
 * reported by {@link resolveTiers}.
 */
export function declaredTierNames(optionTiers: unknown): string[] {
  const own = isPlainObject(optionTiers) ? Object.keys(optionTiers).filter((t) => !TIERS.includes(t as never) && TIER_NAME.test(t)) : [];
  return [...TIERS, ...own];
}

/**
 * Validates `tiers` and merges, per tier, the default quota (for the four defaults), the
 * environment's values and the code's. A tier of your own needs rate, burst and concurrency
 * from code or env; its priority boost defaults to 1.
 */
export function resolveTiers(
  issues: Issues,
  optionTiers: unknown,
  envTiers: Readonly<Record<string, Partial<TenantQuotaConfig>>> | undefined,
): Record<string, TenantQuotaConfig> {
  const own = isPlainObject(optionTiers) ? (optionTiers as Record<string, Partial<TenantQuotaConfig> | undefined>) : {};
  if (optionTiers !== undefined) issues.check(isPlainObject(optionTiers), 'tiers', 'must be an object keyed by tier');
  const envNames = new Map<string, string>();
  for (const [tier, quota] of Object.entries(own)) {
    if (quota === undefined) continue;
    const isDefault = TIERS.includes(tier as never);
    if (!isDefault && !TIER_NAME.test(tier)) {
      issues.add(`tiers.${tier}`, `is not a usable tier name: lower-case letters, digits, _ and -, a letter first, at most 32 characters`);
      continue;
    }
    const envName = tierEnvName(tier);
    const clash = envNames.get(envName);
    if (clash !== undefined) issues.add(`tiers.${tier}`, `reads the same environment variables as tier ${clash} (${envName}_*): rename one`);
    envNames.set(envName, tier);
    checkQuota(issues, `tiers.${tier}`, quota);
  }

  const tiers: Record<string, TenantQuotaConfig> = {};
  for (const tier of declaredTierNames(optionTiers)) {
    const base = TIERS.includes(tier as never) ? DEFAULT_TIER_QUOTAS[tier as keyof typeof DEFAULT_TIER_QUOTAS] : { priorityBoost: 1 };
    const quota = { ...base, ...definedOnly(envTiers?.[tier]), ...definedOnly(own[tier]) } as TenantQuotaConfig;
    const key = `tiers.${tier}`;
    const missing = REQUIRED.filter((field) => quota[field] === undefined);
    if (missing.length > 0) {
      const hint = closest(tier, TIERS);
      issues.add(
        key,
        `declares a tier of your own, which needs ${missing.join(', ')} (in code or env)${hint ? `; did you mean the default tier ${hint}?` : ''}`,
      );
      continue;
    }
    tiers[tier] = quota;
    // Rate and burst may come from different places (env and options): check them together,
    // unless the tier's own options were already reported.
    if (!issues.list.some((i) => i.key === key || i.key.startsWith(`${key}.`))) checkWindow(issues, key, quota);
  }
  return tiers;
}
