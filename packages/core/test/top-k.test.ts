import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TopK } from '../src/util/top-k.js';

const before = (a: number, b: number) => a > b;

function best(capacity: number, items: readonly number[]): number[] {
  const heap = new TopK(capacity, before);
  for (const item of items) heap.offer(item);
  const out: number[] = [];
  for (let item = heap.popWorst(); item !== undefined; item = heap.popWorst()) out.unshift(item);
  return out;
}

describe('TopK', () => {
  it('keeps the best `capacity` items; popping worst first gives them best last', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.uniqueArray(fc.integer(), { maxLength: 200 }), (capacity, items) => {
        expect(best(capacity, items)).toEqual([...items].sort((a, b) => b - a).slice(0, capacity));
      }),
    );
  });

  it('is empty with capacity 0, and pops undefined when empty', () => {
    const heap = new TopK(0, before);
    heap.offer(1);
    expect(heap.size).toBe(0);
    expect(heap.popWorst()).toBeUndefined();
  });
});
