import { describe, expect, it } from 'vitest';
import { FakeClock, waitFor } from '../src/index.js';

describe('FakeClock', () => {
  it('moves only when told, and never backwards', () => {
    const clock = new FakeClock(1000);
    expect(clock.now()).toBe(1000);
    clock.advance(250);
    expect(clock.now()).toBe(1250);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});

describe('waitFor', () => {
  it('resolves once the condition holds and times out otherwise', async () => {
    let n = 0;
    await waitFor(() => ++n >= 3, 500);
    expect(n).toBe(3);
    await expect(waitFor(() => false, 30, 'never')).rejects.toThrow(/never/);
  });
});
