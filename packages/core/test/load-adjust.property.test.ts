/**
 * Properties of the quota adjustment under load: f(load, priorityBoost) =
 * loadFactor(load, threshold, minFactor, boost, floorForBoost(floors, tiers)(boost)), for any
 * threshold, minFactor, tier table and per-tier floors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TIER_QUOTAS, floorForBoost, loadFactor, type TenantQuotaConfig, type Tier, TIERS } from '../src/index.js';

const unit = fc.double({ min: 0, max: 1, noNaN: true });
const boostArb = fc.double({ min: 0.05, max: 20, noNaN: true });
const tierBoosts = fc.tuple(boostArb, boostArb, boostArb, boostArb);
const tierFloors = fc.tuple(unit, unit, unit, unit);

/** A whole configuration: threshold in [0, 0.99], minFactor in (0, 1], boosts and floors per tier. */
const configArb = fc.record({
  threshold: fc.double({ min: 0, max: 0.99, noNaN: true }),
  minFactor: fc.double({ min: 0.001, max: 1, noNaN: true }),
  boosts: tierBoosts,
  floors: tierFloors,
});
type Config = typeof configArb extends fc.Arbitrary<infer T> ? T : never;

function adjustment(c: Config) {
  const tiers = Object.fromEntries(TIERS.map((t, i) => [t, { ...DEFAULT_TIER_QUOTAS[t], priorityBoost: c.boosts[i] as number }])) as Record<
    Tier,
    TenantQuotaConfig
  >;
  const floors = Object.fromEntries(TIERS.map((t, i) => [t, c.floors[i] as number])) as Record<Tier, number>;
  const floorOf = floorForBoost(floors, tiers);
  return {
    tiers,
    floors,
    floorOf,
    f: (load: number, boost: number) => loadFactor(load, c.threshold, c.minFactor, boost, floorOf(boost)),
  };
}

/** A bound on |f(l + d) − f(l)|: max() is 1-Lipschitz, x^e is e-Lipschitz (e ≥ 1) or e-Hölder (e < 1) on [0, 1]. */
function modulus(d: number, c: Config, boost: number): number {
  const base = (d * (1 - c.minFactor)) / (1 - c.threshold);
  const e = 1 / boost;
  return e >= 1 ? e * base : base ** e;
}

describe('load adjustment: properties', () => {
  it('leaves quotas unchanged at or below the threshold', () => {
    fc.assert(
      fc.property(configArb, unit, boostArb, (c, frac, boost) => {
        expect(adjustment(c).f(c.threshold * frac, boost)).toBe(1);
      }),
    );
  });

  it('is monotonically non-increasing in load', () => {
    fc.assert(
      fc.property(configArb, unit, unit, boostArb, (c, a, b, boost) => {
        const { f } = adjustment(c);
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(f(hi, boost)).toBeLessThanOrEqual(f(lo, boost));
      }),
    );
  });

  it('never sheds a higher priorityBoost more than a lower one (any boosts, any per-tier floors)', () => {
    fc.assert(
      fc.property(configArb, unit, boostArb, boostArb, (c, load, a, b) => {
        const { f } = adjustment(c);
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(f(load, hi)).toBeGreaterThanOrEqual(f(load, lo));
      }),
    );
  });

  it('never sheds a tier with the higher boost more, tier against tier', () => {
    fc.assert(
      fc.property(configArb, unit, (c, load) => {
        const { f, tiers } = adjustment(c);
        for (const a of TIERS)
          for (const b of TIERS)
            if (tiers[a].priorityBoost >= tiers[b].priorityBoost)
              expect(f(load, tiers[a].priorityBoost)).toBeGreaterThanOrEqual(f(load, tiers[b].priorityBoost));
      }),
    );
  });

  it('respects every tier floor, and starves nobody: the factor stays in (0, 1]', () => {
    fc.assert(
      fc.property(configArb, unit, (c, load) => {
        const { f, tiers, floors } = adjustment(c);
        for (const t of TIERS) {
          const factor = f(load, tiers[t].priorityBoost);
          expect(factor).toBeGreaterThanOrEqual(floors[t]);
          expect(factor).toBeGreaterThan(0);
          expect(factor).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('reaches exactly the floor at full load when the curve would go lower', () => {
    fc.assert(
      fc.property(configArb, boostArb, (c, boost) => {
        const { f, floorOf } = adjustment(c);
        const curve = c.minFactor ** (1 / boost);
        expect(f(1, boost)).toBeCloseTo(Math.max(floorOf(boost), curve), 12);
      }),
    );
  });

  it('is continuous: a small change of load makes a small change of factor (explicit modulus), across the threshold too', () => {
    fc.assert(
      fc.property(configArb, unit, fc.double({ min: 0, max: 0.01, noNaN: true }), boostArb, (c, load, d, boost) => {
        const { f } = adjustment(c);
        const hi = Math.min(1, load + d);
        expect(Math.abs(f(hi, boost) - f(load, boost))).toBeLessThanOrEqual(modulus(hi - load, c, boost) + 1e-12);
      }),
    );
    // Right above the threshold the factor is still (almost) 1: no jump when shedding starts.
    expect(loadFactor(0.8 + 1e-9, 0.8, 0.1, 0.5, 0.05)).toBeGreaterThan(1 - 1e-6);
  });

  it('gives floors that never fall as the boost rises, and each tier at least its own', () => {
    fc.assert(
      fc.property(configArb, boostArb, boostArb, (c, a, b) => {
        const { floorOf, tiers, floors } = adjustment(c);
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(floorOf(hi)).toBeGreaterThanOrEqual(floorOf(lo));
        for (const t of TIERS) expect(floorOf(tiers[t].priorityBoost)).toBeGreaterThanOrEqual(floors[t]);
      }),
    );
  });

  it('keeps per-tier floors as configured when they already rise with the boost', () => {
    const { floorOf } = adjustment({ threshold: 0.8, minFactor: 0.1, boosts: [0.5, 0.8, 1, 1.2], floors: [0.05, 0.1, 0.2, 0.4] });
    expect([0.5, 0.8, 1, 1.2].map(floorOf)).toEqual([0.05, 0.1, 0.2, 0.4]);
    // Between tiers: the floor of the highest tier at or below (a step, never above the next tier's).
    expect(floorOf(0.9)).toBe(0.1);
    expect(floorOf(0.1)).toBe(0.05);
    expect(floorOf(50)).toBe(0.4);
  });
});
