import { createHash } from 'node:crypto';

// Coda allows 10 writes and 100 reads per 6 s per API token (DESIGN §7.3). One token is one budget for the whole
// process, so the limiter is shared by every client built for that token. Coda counts requests when they *arrive*,
// which is somewhere between our start and our answer; so a call holds its slot while in flight and is then counted
// at the time its answer came back. That bounds what Coda sees in any window by our cap whatever the latency (a
// start-time count lets calls started just before a window edge arrive inside the next one). The window is sliding
// (fixed windows, as in p-queue's `interval`, let 2 × cap through across a boundary), and the cap one under Coda's.

/** Coda's per-token window, in ms. */
export const CODA_WINDOW_MS = 6_000;
/** Our write cap per window: one under Coda's 10. */
export const DEFAULT_WRITES_PER_WINDOW = 9;
/** Our read cap per window: under Coda's 100. */
export const DEFAULT_READS_PER_WINDOW = 90;

export interface SlidingWindowGateOptions {
  /** Calls allowed in any window (in flight, or answered within the window). Positive integer. */
  readonly cap: number;
  /** Window length in ms. @default 6000 */
  readonly windowMs?: number;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  /** @default an unref'd setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Waits until a call may start; callers are served in arrival order. */
export interface SlidingWindowGate {
  /** Resolves when the call may start, with `release`, to call once its answer (or failure) is in. */
  acquire(): Promise<() => void>;
  /** Calls in flight or answered within the current window, for tests and benches. */
  inWindow(): number;
}

const unrefSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/**
 * A sliding-window gate: whenever a call starts, fewer than `cap` others are in flight or were answered within
 * the last `windowMs` — so any server counting arrivals sees at most `cap` per window.
 * @throws Error when `cap` or `windowMs` is not a positive integer
 */
export function createSlidingWindowGate(options: SlidingWindowGateOptions): SlidingWindowGate {
  const { cap } = options;
  const windowMs = options.windowMs ?? CODA_WINDOW_MS;
  if (!Number.isInteger(cap) || cap < 1)
    throw new Error(`createSlidingWindowGate: cap must be a positive integer, got ${cap}`);
  if (!Number.isInteger(windowMs) || windowMs < 1)
    throw new Error(`createSlidingWindowGate: windowMs must be a positive integer (ms), got ${windowMs}`);
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? unrefSleep;
  /** Answer times of released calls, ascending. */
  const answered: number[] = [];
  let inFlight = 0;
  let wake: () => void = () => {};
  let released = new Promise<void>((resolve) => (wake = resolve));
  let tail: Promise<unknown> = Promise.resolve();

  const prune = (at: number) => {
    while (answered.length > 0 && (answered[0] ?? 0) <= at - windowMs) answered.shift();
  };

  function releaser(): () => void {
    let done = false;
    return function release() {
      if (done) return;
      done = true;
      inFlight -= 1;
      const at = clock();
      let i = answered.length;
      while (i > 0 && (answered[i - 1] ?? 0) > at) i -= 1;
      answered.splice(i, 0, at);
      const resolve = wake;
      released = new Promise<void>((r) => (wake = r));
      resolve();
    };
  }

  async function take(): Promise<() => void> {
    for (;;) {
      const at = clock();
      prune(at);
      if (inFlight + answered.length < cap) {
        inFlight += 1;
        return releaser();
      }
      // Wait for a call in flight to finish, or for the oldest answer to leave the window.
      const oldest = answered[0];
      await (oldest === undefined
        ? released
        : Promise.race([released, sleep(Math.max(1, oldest + windowMs - at + 1))]));
    }
  }

  return {
    acquire() {
      const turn = tail.then(take);
      tail = turn.catch(() => {});
      return turn;
    },
    inWindow() {
      prune(clock());
      return inFlight + answered.length;
    },
  };
}

/** Write and read gates for one Coda API token. */
export interface CodaRateLimiter {
  readonly writes: SlidingWindowGate;
  readonly reads: SlidingWindowGate;
}

export interface CodaRateLimiterOptions {
  /** @default 9 (Coda: 10) */
  readonly writesPerWindow?: number;
  /** @default 90 (Coda: 100) */
  readonly readsPerWindow?: number;
  /** @default 6000 */
  readonly windowMs?: number;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export function createCodaRateLimiter(options: CodaRateLimiterOptions = {}): CodaRateLimiter {
  const common = {
    ...(options.windowMs !== undefined && { windowMs: options.windowMs }),
    ...(options.clock && { clock: options.clock }),
    ...(options.sleep && { sleep: options.sleep }),
  };
  return {
    writes: createSlidingWindowGate({ cap: options.writesPerWindow ?? DEFAULT_WRITES_PER_WINDOW, ...common }),
    reads: createSlidingWindowGate({ cap: options.readsPerWindow ?? DEFAULT_READS_PER_WINDOW, ...common }),
  };
}

const perToken = new Map<string, CodaRateLimiter>();

/**
 * The process-wide limiter for an API token (default caps and window): every client built for the same token
 * shares it, so all of the process's calls stay under the token's budget together.
 */
export function sharedCodaRateLimiter(token: string): CodaRateLimiter {
  const key = createHash('sha256').update(token).digest('hex');
  let limiter = perToken.get(key);
  if (!limiter) {
    limiter = createCodaRateLimiter();
    perToken.set(key, limiter);
  }
  return limiter;
}
