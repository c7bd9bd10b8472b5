import type { TenantQuotaConfig } from '../tiers.js';

/**
 * Rate multiplier for a tenant under `load`: 1 up to `threshold`, then falling linearly to
 * `minFactor` at full load, raised to the power 1/priorityBoost, and never below `floor`. The
 * factor never changes below the threshold, never rises with load, is continuous, and a higher
 * boost (with a floor at least as high) is never cut harder than a lower one.
 */
export function loadFactor(load: number, threshold: number, minFactor: number, priorityBoost: number, floor = 0): number {
  if (!(load > threshold)) return 1;
  const over = Math.min(1, (load - threshold) / (1 - threshold));
  const base = 1 - over * (1 - minFactor);
  return Math.max(floor, base ** (1 / priorityBoost));
}

/**
 * The floor for a priority boost: the highest floor of the tiers whose boost is at most this one
 * (the lowest tier's floor below every tier), so a higher boost never gets a lower floor.
 */
export function floorForBoost(floors: Readonly<Record<string, number>>, tiers: Readonly<Record<string, TenantQuotaConfig>>): (priorityBoost: number) => number {
  const points = Object.entries(tiers)
    .map(([t, quota]) => [quota.priorityBoost, floors[t] ?? 0] as const)
    .sort((a, b) => a[0] - b[0]);
  let running = 0;
  const steps = points.map(([boost, floor]) => {
    running = Math.max(running, floor);
    return [boost, running] as const;
  });
  const lowest = (steps[0] as readonly [number, number])[1];
  return (priorityBoost) => {
    let floor = lowest;
    for (const [boost, f] of steps) if (priorityBoost >= boost) floor = f;
    return floor;
  };
}
