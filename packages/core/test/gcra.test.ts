import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/index.js';
import { assertValidRequest, type BucketPolicy, emissionIntervalUs, gcraConsume, gcraSnapshot, MAX_RATE } from '../src/store.js';

const FREE: BucketPolicy = { rate: 5, burst: 10 };
const MS = 1000;

/** Runs `count` requests of `cost` at `nowUs`, threading the state; returns the results and final state. */
function burst(tatUs: number | undefined, nowUs: number, policy: BucketPolicy, count: number, cost = 1) {
  const results = [];
  let tat = tatUs;
  for (let i = 0; i < count; i++) {
    const step = gcraConsume(tat, nowUs, policy, cost);
    tat = step.tatUs;
    results.push(step.result);
  }
  return { results, tat };
}

describe('emissionIntervalUs', () => {
  it('is the whole number of microseconds per token, rounded up', () => {
    expect(emissionIntervalUs(5)).toBe(200_000);
    expect(emissionIntervalUs(1)).toBe(1_000_000);
    expect(emissionIntervalUs(3)).toBe(333_334);
    expect(emissionIntervalUs(MAX_RATE)).toBe(1);
    expect(emissionIntervalUs(0.5)).toBe(2_000_000);
  });

  it('never lets the effective rate exceed the configured one', () => {
    for (const rate of [3, 7, 9.5, 333_333, 999_999]) {
      expect(1e6 / emissionIntervalUs(rate)).toBeLessThanOrEqual(rate);
    }
  });
});

describe('gcraConsume: the free tier (rate 5, burst 10)', () => {
  const t0 = 1_700_000_000_000 * MS;

  it('admits exactly 10 back to back, denies the 11th, and admits exactly 5 more after 1000 ms', () => {
    const first = burst(undefined, t0, FREE, 11);
    expect(first.results.slice(0, 10).every((r) => r.allowed)).toBe(true);
    expect(first.results.map((r) => r.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]);
    expect(first.results[10]).toEqual({ allowed: false, limit: 10, remaining: 0, retryAfterMs: 200, resetAfterMs: 2000 });

    const later = burst(first.tat, t0 + 1000 * MS, FREE, 6);
    expect(later.results.map((r) => r.allowed)).toEqual([true, true, true, true, true, false]);
  });

  it('reports limit, remaining and resetAfterMs for an allowed request', () => {
    const { result, tatUs } = gcraConsume(undefined, t0, FREE, 1);
    expect(result).toEqual({ allowed: true, limit: 10, remaining: 9, retryAfterMs: 0, resetAfterMs: 200 });
    expect(tatUs).toBe(t0 + 200_000);
  });

  it('charges a cost of n like n requests of cost 1', () => {
    const { result } = gcraConsume(undefined, t0, FREE, 4);
    expect(result.remaining).toBe(6);
    expect(result.resetAfterMs).toBe(800);
  });

  it('leaves the stored state unchanged on a denial', () => {
    const full = burst(undefined, t0, FREE, 10);
    const denied = gcraConsume(full.tat, t0, FREE, 1);
    expect(denied.result.allowed).toBe(false);
    expect(denied.tatUs).toBe(full.tat);
  });

  it('treats a theoretical arrival time in the past as a full bucket', () => {
    const { result } = gcraConsume(t0 - 5_000_000, t0, FREE, 10);
    expect(result.allowed).toBe(true);
    expect(result.remaining).toBe(0);
  });

  it('refills one token per emission interval', () => {
    const full = burst(undefined, t0, FREE, 10);
    expect(gcraConsume(full.tat, t0 + 199 * MS, FREE, 1).result.allowed).toBe(false);
    expect(gcraConsume(full.tat, t0 + 200 * MS, FREE, 1).result.allowed).toBe(true);
  });

  it('asks a denied request to wait exactly until its cost fits', () => {
    const full = burst(undefined, t0, FREE, 10);
    const denied = gcraConsume(full.tat, t0, FREE, 3).result;
    expect(denied.retryAfterMs).toBe(600);
    expect(gcraConsume(full.tat, t0 + 599 * MS, FREE, 3).result.allowed).toBe(false);
    expect(gcraConsume(full.tat, t0 + 600 * MS, FREE, 3).result.allowed).toBe(true);
  });
});

describe('gcraConsume: cost larger than the bucket', () => {
  it('is always denied with reason cost_exceeds_burst, even with a full bucket', () => {
    const { result, tatUs } = gcraConsume(undefined, 0, FREE, 11);
    expect(result.allowed).toBe(false);
    expect(result.reason).toBe('cost_exceeds_burst');
    expect(result.remaining).toBe(10);
    expect(tatUs).toBe(0);
  });

  it('suggests waiting for a full bucket', () => {
    const after3 = burst(undefined, 0, FREE, 3);
    const { result } = gcraConsume(after3.tat, 0, FREE, 100);
    expect(result.reason).toBe('cost_exceeds_burst');
    expect(result.retryAfterMs).toBe(600);
    expect(result.resetAfterMs).toBe(600);
  });

  it('carries no reason on an ordinary denial', () => {
    const full = burst(undefined, 0, FREE, 10);
    const { result } = gcraConsume(full.tat, 0, FREE, 10);
    expect(result.allowed).toBe(false);
    expect(result).not.toHaveProperty('reason');
  });
});

describe('gcraConsume: a policy that shrank since the state was written', () => {
  it('reports 0 remaining, never a negative number', () => {
    const big = burst(undefined, 0, { rate: 5, burst: 100 }, 50);
    const { result } = gcraConsume(big.tat, 0, FREE, 1);
    expect(result.allowed).toBe(false);
    expect(result.remaining).toBe(0);
  });
});

describe('argument validation', () => {
  const invalid = (fn: () => unknown, what: RegExp) => {
    let caught: unknown;
    try {
      fn();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    expect((caught as InvalidArgumentError).code).toBe('ERR_AURUM_INVALID_ARGUMENT');
    expect((caught as Error).message).toMatch(what);
  };

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5, 2 ** 53])('rejects cost %s', (cost) => {
    invalid(() => gcraConsume(undefined, 0, FREE, cost), /cost/);
    invalid(() => assertValidRequest(FREE, cost), /cost/);
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, MAX_RATE + 1, 1e7])('rejects rate %s', (rate) => {
    invalid(() => gcraConsume(undefined, 0, { rate, burst: 10 }, 1), /rate/);
  });

  it.each([0, -1, 0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects burst %s', (b) => {
    invalid(() => gcraConsume(undefined, 0, { rate: 5, burst: b }, 1), /burst/);
  });

  it('rejects a rate that is not a number', () => {
    invalid(() => gcraConsume(undefined, 0, { rate: '5' as unknown as number, burst: 10 }, 1), /rate/);
  });

  it('accepts the edges of the domain', () => {
    expect(() => assertValidRequest({ rate: MAX_RATE, burst: 1 }, 1)).not.toThrow();
    expect(() => assertValidRequest({ rate: 0.001, burst: 1 }, 1)).not.toThrow();
    expect(gcraConsume(undefined, 0, { rate: MAX_RATE, burst: 1 }, 1).result.allowed).toBe(true);
  });

  it('validates the policy of a snapshot too', () => {
    invalid(() => gcraSnapshot(undefined, 0, { rate: 0, burst: 10 }), /rate/);
  });
});

describe('gcraSnapshot', () => {
  it('shows a bucket never written as full', () => {
    expect(gcraSnapshot(undefined, 0, FREE)).toEqual({ limit: 10, remaining: 10, resetAfterMs: 0 });
  });

  it('reads without consuming and agrees with the last consume', () => {
    const after4 = burst(undefined, 0, FREE, 4);
    const last = after4.results[3];
    const snap = gcraSnapshot(after4.tat, 0, FREE);
    expect(snap).toEqual({ limit: 10, remaining: last?.remaining, resetAfterMs: last?.resetAfterMs });
    expect(gcraSnapshot(after4.tat, 0, FREE)).toEqual(snap);
  });

  it('shows the refill over time', () => {
    const full = burst(undefined, 0, FREE, 10);
    expect(gcraSnapshot(full.tat, 1000 * MS, FREE).remaining).toBe(5);
    expect(gcraSnapshot(full.tat, 2000 * MS, FREE)).toEqual({ limit: 10, remaining: 10, resetAfterMs: 0 });
  });
});
