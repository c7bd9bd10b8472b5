import { LEASING_DEFAULTS, type LeasingOptions, type ResolvedLeasing } from '../manager/leasing-options.js';
import type { RateLimitStore } from '../store/types.js';
import { checkKnownKeys, checkPositive, checkRate, checkTier, checkTimerMs, type Issues, isPlainObject } from './checks.js';

/**
 * Validates `leasing` (code over `AURUM_API_RATE_LIMIT_LEASING`) and fills in defaults. Off unless
 * asked for: a leased tenant is decided on a burst less its reserve, a change a deployment opts
 * into. Set on, the store must be able to take tokens.
 */
export function resolveLeasing(
  issues: Issues,
  leasing: boolean | LeasingOptions<string> | undefined,
  env: boolean | undefined,
  store: RateLimitStore | undefined,
  tiers: readonly string[],
): ResolvedLeasing {
  // No store means the default memory store, which can take.
  const canTake = store === undefined || typeof store.takeUpTo === 'function';
  const wanted = leasing ?? env;
  if (wanted === undefined || wanted === false) return false;
  if (wanted !== true && !issues.check(isPlainObject(wanted), 'leasing', 'must be true, false or { minRate, threshold, burstShare, maxLeaseMs, excludeTiers }'))
    return false;
  if (!issues.check(canTake, 'leasing', 'needs a store that can take tokens (takeUpTo): a RedisStore or the memory store')) return false;
  if (wanted === true) return { ...LEASING_DEFAULTS };
  checkKnownKeys(issues, 'leasing', wanted as Record<string, unknown>, Object.keys(LEASING_DEFAULTS));
  checkRate(issues, 'leasing.minRate', wanted.minRate);
  checkPositive(issues, 'leasing.threshold', wanted.threshold);
  if (wanted.burstShare !== undefined)
    issues.check(
      typeof wanted.burstShare === 'number' && wanted.burstShare > 0 && wanted.burstShare <= 0.5,
      'leasing.burstShare',
      `must be a number in (0, 0.5], got ${String(wanted.burstShare)}`,
    );
  checkTimerMs(issues, 'leasing.maxLeaseMs', wanted.maxLeaseMs);
  if (wanted.excludeTiers !== undefined && issues.check(Array.isArray(wanted.excludeTiers), 'leasing.excludeTiers', 'must be a list of tier names'))
    for (const [i, tier] of wanted.excludeTiers.entries()) checkTier(issues, `leasing.excludeTiers[${i}]`, tier, tiers);
  const defined = Object.fromEntries(Object.entries(wanted).filter(([, v]) => v !== undefined));
  return { ...LEASING_DEFAULTS, ...defined };
}
