/** Injected failures and latency for the DrChrono sandbox's `/api` requests, counted per authenticated request. */

export interface FaultOptions {
  /** HTTP status of the injected failure. @default 500 */
  readonly status?: 500 | 502 | 503 | 504;
}

export interface FaultInjector {
  /** Counts an authenticated `/api` request (before the budget check); `failRequest` counts from here. */
  countRequest(): void;
  /** Authenticated `/api` requests counted so far. */
  requestCount(): number;
  /** The status to fail the current request with, or null; consumes the fault that matched. */
  faultFor(url: URL): number | null;
  /** Real milliseconds to wait before answering an `/api` request. */
  latencyMs(): number;
  failNext(count: number, options?: FaultOptions): void;
  failRequest(n: number, options?: FaultOptions): void;
  failMatching(predicate: (url: URL) => boolean, options?: FaultOptions & { times?: number }): void;
  setLatencyMs(ms: number): void;
  clear(): void;
}

/** Faults apply in this order: the n-th request (`failRequest`), the next ones (`failNext`), then URL matchers. */
export function createFaultInjector(): FaultInjector {
  let apiRequests = 0;
  let latencyMs = 0;
  let failNextCount = 0;
  let failNextStatus = 500;
  const failAt = new Map<number, number>();
  let matchers: Array<{ predicate: (url: URL) => boolean; status: number; times: number }> = [];
  return {
    countRequest: () => {
      apiRequests += 1;
    },
    requestCount: () => apiRequests,
    faultFor: (url) => {
      if (failAt.has(apiRequests)) {
        const status = failAt.get(apiRequests)!;
        failAt.delete(apiRequests);
        return status;
      }
      if (failNextCount > 0) {
        failNextCount -= 1;
        return failNextStatus;
      }
      for (const m of matchers) {
        if (m.times > 0 && m.predicate(url)) {
          m.times -= 1;
          matchers = matchers.filter((x) => x.times > 0);
          return m.status;
        }
      }
      return null;
    },
    latencyMs: () => latencyMs,
    failNext: (count, options) => {
      failNextCount = count;
      failNextStatus = options?.status ?? 500;
    },
    failRequest: (n, options) => {
      if (!Number.isInteger(n) || n < 1) throw new Error(`failRequest: n must be an integer >= 1, got ${String(n)}`);
      failAt.set(apiRequests + n, options?.status ?? 500);
    },
    failMatching: (predicate, options) => {
      matchers.push({ predicate, status: options?.status ?? 500, times: options?.times ?? 1 });
    },
    setLatencyMs: (ms) => {
      latencyMs = Math.max(0, ms);
    },
    clear: () => {
      failNextCount = 0;
      failAt.clear();
      matchers = [];
      latencyMs = 0;
    },
  };
}
