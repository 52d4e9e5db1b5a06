import { describe, expect, it } from 'vitest';
import { createSlidingWindowLimiter, peakPerWindow } from '../../../../sandbox/coda/rate-limit.js';

describe('createSlidingWindowLimiter', () => {
  it('allows limit requests per window and tells how long until the next slot', () => {
    let t = 0;
    const limiter = createSlidingWindowLimiter({ limit: 2, windowMs: 1_000, clock: () => t });
    expect(limiter.tryTake('a')).toEqual({ ok: true });
    t = 400;
    expect(limiter.tryTake('a')).toEqual({ ok: true });
    t = 500;
    expect(limiter.tryTake('a')).toEqual({ ok: false, retryAfterMs: 500 });
    t = 1_000;
    expect(limiter.tryTake('a')).toEqual({ ok: true });
  });

  it('does not count refused requests against the budget', () => {
    let t = 0;
    const limiter = createSlidingWindowLimiter({ limit: 1, windowMs: 1_000, clock: () => t });
    limiter.tryTake('a');
    for (let i = 0; i < 5; i += 1) {
      t += 100;
      expect(limiter.tryTake('a').ok).toBe(false);
    }
    t = 1_000;
    expect(limiter.tryTake('a').ok).toBe(true);
  });

  it('rejects a non-positive limit at setup', () => {
    expect(() => createSlidingWindowLimiter({ limit: 0, windowMs: 1_000, clock: Date.now })).toThrow(/limit/);
  });
});

describe('peakPerWindow', () => {
  it('finds the densest window of timestamps', () => {
    // [100, 6100) holds 100, 5999, 6000 and 6001.
    expect(peakPerWindow([0, 100, 5_999, 6_000, 6_001, 20_000], 6_000)).toBe(4);
    expect(peakPerWindow([], 6_000)).toBe(0);
  });
});
