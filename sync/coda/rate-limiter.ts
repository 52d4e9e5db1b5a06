import { createHash } from 'node:crypto';

// Coda allows 10 writes and 100 reads per 6 s per API token (DESIGN §7.3). One token is one budget for the whole
// process, so the limiter is shared by every client built for that token. It counts call *starts* in a sliding
// window (fixed windows, as in p-queue's `interval`, can let 2 × cap through across a boundary), one slot under
// Coda's figure so network jitter between our clock and Coda's never tips a window over.

/** Coda's per-token window, in ms. */
export const CODA_WINDOW_MS = 6_000;
/** Our write cap per window: one under Coda's 10. */
export const DEFAULT_WRITES_PER_WINDOW = 9;
/** Our read cap per window: under Coda's 100. */
export const DEFAULT_READS_PER_WINDOW = 90;

export interface SlidingWindowGateOptions {
  /** Call starts allowed in any window. Positive integer. */
  readonly cap: number;
  /** Window length in ms. @default 6000 */
  readonly windowMs?: number;
  /** ms since the epoch. @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Waits until a call may start; callers are served in arrival order. */
export interface SlidingWindowGate {
  acquire(): Promise<void>;
  /** Start times (ms) inside the current window, for tests and benches. */
  inWindow(): number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A sliding-window gate: at most `cap` `acquire()`s resolve within any `windowMs`.
 * @throws Error when `cap` or `windowMs` is not a positive integer
 */
export function createSlidingWindowGate(options: SlidingWindowGateOptions): SlidingWindowGate {
  const { cap } = options;
  const windowMs = options.windowMs ?? CODA_WINDOW_MS;
  if (!Number.isInteger(cap) || cap < 1) throw new Error(`createSlidingWindowGate: cap must be a positive integer, got ${cap}`);
  if (!Number.isInteger(windowMs) || windowMs < 1) throw new Error(`createSlidingWindowGate: windowMs must be a positive integer (ms), got ${windowMs}`);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const starts: number[] = [];
  let tail: Promise<void> = Promise.resolve();

  const prune = (at: number) => {
    while (starts.length > 0 && (starts[0] ?? 0) <= at - windowMs) starts.shift();
  };

  async function take(): Promise<void> {
    for (;;) {
      const at = now();
      prune(at);
      if (starts.length < cap) {
        starts.push(at);
        return;
      }
      // +1: the oldest start leaves the window strictly after `oldest + windowMs - 1`.
      await sleep(Math.max(1, (starts[0] ?? at) + windowMs - at + 1));
    }
  }

  return {
    acquire() {
      const turn = tail.then(take);
      tail = turn.catch(() => {});
      return turn;
    },
    inWindow() {
      prune(now());
      return starts.length;
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
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export function createCodaRateLimiter(options: CodaRateLimiterOptions = {}): CodaRateLimiter {
  const common = {
    ...(options.windowMs !== undefined && { windowMs: options.windowMs }),
    ...(options.now && { now: options.now }),
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
