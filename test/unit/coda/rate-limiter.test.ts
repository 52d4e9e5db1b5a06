import { describe, expect, it } from 'vitest';
import { peakPerWindow } from '../../../sandbox/coda/index.js';
import { createSlidingWindowGate } from '../../../sync/coda/rate-limiter.js';

/** A fake clock whose sleep advances time. */
function fakeTime(start = 1_000_000) {
  let now = start;
  return { now: () => now, sleep: async (ms: number) => void (now += ms), advance: (ms: number) => void (now += ms) };
}

describe('createSlidingWindowGate', () => {
  it('never lets more than 9 calls start in any 6 s window, however the calls arrive', async () => {
    const time = fakeTime();
    const gate = createSlidingWindowGate({ cap: 9, windowMs: 6_000, now: time.now, sleep: time.sleep });
    const starts: number[] = [];
    // Bursts, trickles and idle gaps, including a burst just before and just after a window boundary.
    const gaps = [0, 0, 0, 5_900, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 700, 1_300, 0, 0, 9_000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (const gap of gaps) {
      time.advance(gap);
      await gate.acquire();
      starts.push(time.now());
    }
    expect(starts).toHaveLength(gaps.length);
    expect(peakPerWindow(starts, 6_000)).toBeLessThanOrEqual(9);
  });

  it('serves concurrent callers in arrival order and still respects the cap', async () => {
    const time = fakeTime();
    const gate = createSlidingWindowGate({ cap: 9, windowMs: 6_000, now: time.now, sleep: time.sleep });
    const order: number[] = [];
    const starts: number[] = [];
    await Promise.all(Array.from({ length: 30 }, (_, i) => gate.acquire().then(() => { order.push(i); starts.push(time.now()); })));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(peakPerWindow(starts, 6_000)).toBeLessThanOrEqual(9);
    // 30 calls at 9 per 6 s need at least three further windows.
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(18_000);
  });

  it('refuses a cap or window that is not a positive integer', () => {
    expect(() => createSlidingWindowGate({ cap: 0 })).toThrow(/cap must be a positive integer/);
    expect(() => createSlidingWindowGate({ cap: 9, windowMs: 0.5 })).toThrow(/windowMs must be a positive integer/);
  });
});
