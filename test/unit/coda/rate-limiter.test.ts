import { describe, expect, it } from 'vitest';
import { peakPerWindow } from '../../../sandbox/coda/index.js';
import { createSlidingWindowGate } from '../../../sync/coda/rate-limiter.js';

/** A fake clock whose sleep advances time (sleepers run one at a time in these tests). */
function fakeTime(start = 1_000_000) {
  let now = start;
  return { clock: () => now, sleep: async (ms: number) => void (now += ms), advance: (ms: number) => void (now += ms) };
}

describe('createSlidingWindowGate', () => {
  it('never lets more than 9 calls through in any 6 s window, however the calls arrive', async () => {
    const time = fakeTime();
    const gate = createSlidingWindowGate({ cap: 9, windowMs: 6_000, clock: time.clock, sleep: time.sleep });
    const starts: number[] = [];
    // Bursts, trickles and idle gaps, including a burst just before and just after a window boundary.
    const gaps = [
      0, 0, 0, 5_900, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 700, 1_300, 0, 0, 9_000, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0,
    ];
    for (const gap of gaps) {
      time.advance(gap);
      const release = await gate.acquire();
      starts.push(time.clock());
      release();
    }
    expect(starts).toHaveLength(gaps.length);
    expect(peakPerWindow(starts, 6_000)).toBeLessThanOrEqual(9);
  });

  it('counts a slow call at the time its answer came back, so a late arrival never tips the next window over', async () => {
    const time = fakeTime();
    const gate = createSlidingWindowGate({ cap: 2, windowMs: 6_000, clock: time.clock, sleep: time.sleep });
    const first = await gate.acquire();
    const second = await gate.acquire();
    time.advance(5_000); // both calls still in flight: the server may count them only now
    first();
    second();
    await gate.acquire();
    // A start-time count would have let this call go at 6 000 ms; the answer-time count holds it until 11 001.
    expect(time.clock() - 1_000_000).toBe(11_001);
  });

  it('serves concurrent callers in arrival order and waits for in-flight calls', async () => {
    const time = fakeTime();
    const gate = createSlidingWindowGate({ cap: 9, windowMs: 6_000, clock: time.clock, sleep: time.sleep });
    const order: number[] = [];
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        gate.acquire().then((release) => {
          order.push(i);
          starts.push(time.clock());
          release();
        }),
      ),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(peakPerWindow(starts, 6_000)).toBeLessThanOrEqual(9);
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(18_000);
  });

  it('refuses a cap or window that is not a positive integer', () => {
    expect(() => createSlidingWindowGate({ cap: 0 })).toThrow(/cap must be a positive integer/);
    expect(() => createSlidingWindowGate({ cap: 9, windowMs: 0.5 })).toThrow(/windowMs must be a positive integer/);
  });
});
