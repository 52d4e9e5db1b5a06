/** Sliding-window request budget, one window per key (Coda limits per API token). */
export interface SlidingWindowLimiterOptions {
  /** Requests allowed inside any window of `windowMs`. */
  readonly limit: number;
  /** Window length in milliseconds. */
  readonly windowMs: number;
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
}

export type TakeResult =
  { readonly ok: true } | { readonly ok: false; /** until a slot frees */ readonly retryAfterMs: number };

/**
 * Counts accepted requests per key over a sliding window: a request is allowed when fewer than
 * `limit` accepted requests of the same key fall within the last `windowMs`. Refused requests do
 * not use up the budget.
 * @throws Error when `limit` or `windowMs` is not a positive integer
 */
export function createSlidingWindowLimiter(options: SlidingWindowLimiterOptions) {
  const { limit, windowMs, clock } = options;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new Error(`createSlidingWindowLimiter: limit must be a positive integer, got ${limit}`);
  }
  if (!Number.isInteger(windowMs) || windowMs < 1) {
    throw new Error(`createSlidingWindowLimiter: windowMs must be a positive integer (milliseconds), got ${windowMs}`);
  }
  const accepted = new Map<string, number[]>();

  return {
    tryTake(key: string): TakeResult {
      const at = clock();
      const log = (accepted.get(key) ?? []).filter((t) => t > at - windowMs);
      accepted.set(key, log);
      if (log.length >= limit) {
        const oldest = log[0] ?? at;
        return { ok: false, retryAfterMs: Math.max(0, oldest + windowMs - at) };
      }
      log.push(at);
      return { ok: true };
    },
    reset(): void {
      accepted.clear();
    },
  };
}

export type SlidingWindowLimiter = ReturnType<typeof createSlidingWindowLimiter>;

/**
 * The largest number of timestamps inside any window of `windowMs` (a window `[t, t + windowMs)`
 * starting at each timestamp), e.g. the peak writes per 6 s of a bench run.
 */
export function peakPerWindow(timestamps: readonly number[], windowMs: number): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) >= windowMs) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}
