import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/index.js';
import { type BucketPolicy, emissionIntervalUs, gcraConsume, gcraSnapshot } from '../src/store.js';
import { FakeClock } from './support.js';

/** Any rate in the domain whose microsecond arithmetic stays exact with the bursts below. */
const rateArb = fc.oneof(
  fc.integer({ min: 1, max: 1_000_000 }),
  fc.double({ min: 0.001, max: 1_000_000, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(5, 20, 100, 500, 3, 7),
);
const policyArb = fc.record({ rate: rateArb, burst: fc.integer({ min: 1, max: 1000 }) });

/** Steps of (advance in µs, cost); costs may exceed the burst. */
const stepsArb = (maxCost: number) =>
  fc.array(
    fc.record({
      advanceUs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 5_000_000 })),
      cost: fc.integer({ min: 1, max: maxCost }),
    }),
    { minLength: 1, maxLength: 60 },
  );

const scenarioArb = policyArb.chain((policy) =>
  fc.record({
    policy: fc.constant(policy),
    startUs: fc.integer({ min: 0, max: 2 ** 45 }),
    steps: stepsArb(policy.burst + 2),
  }),
);

interface Event {
  readonly nowUs: number;
  readonly cost: number;
  readonly allowed: boolean;
}

function run(policy: BucketPolicy, startUs: number, steps: ReadonlyArray<{ advanceUs: number; cost: number }>) {
  let tat: number | undefined;
  let now = startUs;
  const events: Event[] = [];
  const states: Array<{ before: number | undefined; nowUs: number; cost: number; result: ReturnType<typeof gcraConsume>['result'] }> = [];
  for (const step of steps) {
    now += step.advanceUs;
    const before = tat;
    const out = gcraConsume(tat, now, policy, step.cost);
    tat = out.tatUs;
    events.push({ nowUs: now, cost: step.cost, allowed: out.result.allowed });
    states.push({ before, nowUs: now, cost: step.cost, result: out.result });
  }
  return { events, states };
}

describe('GCRA properties', () => {
  it('never admits more than burst + rate × elapsed, over the whole run and over every window', () => {
    fc.assert(
      fc.property(scenarioArb, ({ policy, startUs, steps }) => {
        const interval = emissionIntervalUs(policy.rate);
        const { events } = run(policy, startUs, steps);
        // With the effective rate 1e6 / interval, "admitted ≤ burst + rate × seconds" is, in
        // whole microseconds: admitted × interval ≤ burst × interval + elapsed µs. Exact.
        let total = 0;
        for (const e of events) {
          if (e.allowed) total += e.cost;
          expect(total * interval).toBeLessThanOrEqual(policy.burst * interval + (e.nowUs - startUs));
        }
        for (let i = 0; i < events.length; i++) {
          let inWindow = 0;
          for (let j = i; j < events.length; j++) {
            const e = events[j] as Event;
            if (e.allowed) inWindow += e.cost;
            expect(inWindow * interval).toBeLessThanOrEqual(policy.burst * interval + (e.nowUs - (events[i] as Event).nowUs));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('retryAfterMs is exact to the millisecond: allowed at now + retryAfterMs, denied one ms earlier', () => {
    fc.assert(
      fc.property(scenarioArb, ({ policy, startUs, steps }) => {
        const { states } = run(policy, startUs, steps);
        for (const s of states) {
          if (s.result.allowed || s.result.reason === 'cost_exceeds_burst') continue;
          const retry = s.result.retryAfterMs;
          expect(retry).toBeGreaterThanOrEqual(1);
          expect(Number.isInteger(retry)).toBe(true);
          expect(gcraConsume(s.before, s.nowUs + retry * 1000, policy, s.cost).result.allowed).toBe(true);
          expect(gcraConsume(s.before, s.nowUs + (retry - 1) * 1000, policy, s.cost).result.allowed).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a cost above the burst is always denied with reason cost_exceeds_burst and never changes the state', () => {
    fc.assert(
      fc.property(
        scenarioArb,
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000_000_000 }),
        ({ policy, startUs, steps }, extra, waitUs) => {
          let tat: number | undefined;
          let now = startUs;
          for (const step of steps) {
            now += step.advanceUs;
            tat = gcraConsume(tat, now, policy, step.cost).tatUs;
          }
          const out = gcraConsume(tat, now + waitUs, policy, policy.burst + extra);
          expect(out.result.allowed).toBe(false);
          expect(out.result.reason).toBe('cost_exceeds_burst');
          expect(out.tatUs).toBe(tat !== undefined && tat > now + waitUs ? tat : now + waitUs);
        },
      ),
    );
  });

  it('only cost_exceeds_burst denials carry a reason, and every result is in range', () => {
    fc.assert(
      fc.property(scenarioArb, ({ policy, startUs, steps }) => {
        for (const s of run(policy, startUs, steps).states) {
          const r = s.result;
          expect(r.limit).toBe(policy.burst);
          expect(Number.isInteger(r.remaining) && r.remaining >= 0 && r.remaining <= policy.burst).toBe(true);
          expect(Number.isInteger(r.resetAfterMs) && r.resetAfterMs >= 0).toBe(true);
          if (r.allowed) expect(r.retryAfterMs).toBe(0);
          expect(r.reason === 'cost_exceeds_burst').toBe(!r.allowed && s.cost > policy.burst);
        }
      }),
    );
  });

  it('remaining is exact: that many unit requests pass at the same instant, one more does not', () => {
    fc.assert(
      fc.property(scenarioArb, ({ policy, startUs, steps }) => {
        const { states } = run(policy, startUs, steps);
        const last = states.at(-1);
        if (!last?.result.allowed) return;
        let tat = gcraConsume(last.before, last.nowUs, policy, last.cost).tatUs;
        for (let i = 0; i < last.result.remaining; i++) {
          const out = gcraConsume(tat, last.nowUs, policy, 1);
          expect(out.result.allowed).toBe(true);
          tat = out.tatUs;
        }
        expect(gcraConsume(tat, last.nowUs, policy, 1).result.allowed).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('resetAfterMs is exact: the bucket is full at now + resetAfterMs and not one ms earlier', () => {
    fc.assert(
      fc.property(scenarioArb, ({ policy, startUs, steps }) => {
        let tat: number | undefined;
        let now = startUs;
        for (const step of steps) {
          now += step.advanceUs;
          const out = gcraConsume(tat, now, policy, step.cost);
          tat = out.tatUs;
          const reset = out.result.resetAfterMs;
          expect(gcraSnapshot(tat, now + reset * 1000, policy).remaining).toBe(policy.burst);
          if (reset > 0) expect(gcraSnapshot(tat, now + (reset - 1) * 1000, policy).remaining).toBeLessThan(policy.burst);
        }
      }),
    );
  });

  it('after an idle period of burst × interval any cost up to the burst is admitted', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), ({ policy, startUs, steps }, pick) => {
        let tat: number | undefined;
        let now = startUs;
        for (const step of steps) {
          now += step.advanceUs;
          tat = gcraConsume(tat, now, policy, step.cost).tatUs;
        }
        const cost = 1 + (pick % policy.burst);
        const idle = emissionIntervalUs(policy.rate) * policy.burst;
        expect(gcraConsume(tat, now + idle, policy, cost).result.allowed).toBe(true);
      }),
    );
  });

  it('MemoryStore on a millisecond clock gives the same answers as the pure function', async () => {
    await fc.assert(
      fc.asyncProperty(
        policyArb,
        fc.array(fc.record({ advanceMs: fc.integer({ min: 0, max: 3000 }), cost: fc.integer({ min: 1, max: 12 }) }), { maxLength: 40 }),
        async (policy, steps) => {
          const clock = new FakeClock();
          const store = new MemoryStore({ clock, sweepIntervalMs: 0 });
          let tat: number | undefined;
          for (const step of steps) {
            clock.advance(step.advanceMs);
            const expected = gcraConsume(tat, clock.now() * 1000, policy, step.cost);
            tat = expected.tatUs;
            expect(await store.consume('k', policy, step.cost)).toEqual(expected.result);
          }
          await store.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
