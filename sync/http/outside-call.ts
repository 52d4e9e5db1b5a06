import { setTimeout as delay } from 'node:timers/promises';
import type { Sql } from 'postgres';
import type { Logger } from '../observability/logger.js';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions';
import { markError, SpanKind, withSpan } from '../observability/spans.js';
import { writeAccessLog, type OutsideService } from './access-log.js';

// The one way sync/ calls an outside HTTP API (DrChrono, Coda). Every HTTP attempt gets a timeout combined with the
// caller's signal and exactly one access_log row; the API's `classify` turns the answer (or the missing answer) into
// ok | retry | fail; retries wait a jittered exponential backoff, or `Retry-After` instead when the API sent one.
// Each client keeps only its own protocol on top (budget, tokens, rate limiter, envelopes).
// The loop is hand-written rather than p-retry: tests drive it with a fake sleep, and `Retry-After` replaces the
// backoff instead of adding to it — p-retry has neither an injectable sleep nor a per-error delay.

export type { OutsideService };

/** What came back from one HTTP attempt: a response (any status), or the error `fetch` threw (incl. the timeout). */
export type OutsideAnswer =
  | { readonly response: Response; readonly networkError?: undefined }
  | { readonly response?: undefined; readonly networkError: unknown };

/** The API's judgement of one answer. A retry or fail error's `name` is the access_log `error_class`. */
export type Verdict<T> =
  | {
      readonly kind: 'ok';
      readonly value: T;
      /** access_log `record_count`; undefined keeps the attempt's own `recordCount`. */
      readonly recordCount?: number | null | undefined;
    }
  | {
      readonly kind: 'retry';
      /** Thrown when the retries are used up. */
      readonly error: Error;
      /** The answer's `Retry-After` in ms: replaces the backoff (capped at `maxDelayMs`). */
      readonly retryAfterMs?: number | undefined;
    }
  | { readonly kind: 'fail'; readonly error: Error };

export const ok = <T>(value: T, recordCount?: number | null): Verdict<T> => ({ kind: 'ok', value, recordCount });
export const retry = (error: Error, retryAfterMs?: number): Verdict<never> => ({ kind: 'retry', error, retryAfterMs });
export const fail = (error: Error): Verdict<never> => ({ kind: 'fail', error });

export interface OutsideRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** One logical call, as a client describes it. */
export interface OutsideAttempt<T> {
  readonly method: string;
  /** The route without ids or query values, for access_log and logs. */
  readonly pathTemplate: string;
  /** access_log `record_count` unless the verdict sets one (rows sent by a write). @default null */
  readonly recordCount?: number | undefined;
  /**
   * Which budget the call spends, for its trace span: DrChrono's priority (`sync`, `webhook`), Coda's limiter
   * (`read`, `write`). @default none
   */
  readonly budgetClass?: string | undefined;
  /**
   * Runs before each HTTP attempt, outside its measured duration: reserve a budget slot, wait for a rate-limiter turn,
   * take a fresh token. Returns what to send and, optionally, `release`, called once the answer starts (or fetch
   * fails). A throw here ends the call without an HTTP attempt and without an access_log row.
   */
  prepare(): Promise<{ readonly request: OutsideRequest; readonly release?: () => void }>;
  /**
   * The API's rules for one answer. The pipeline cancels a response body that `classify` did not read. A throw is
   * treated as `fail` with that error.
   */
  classify(answer: OutsideAnswer): Verdict<T> | Promise<Verdict<T>>;
}

export interface OutsideCallOptions {
  /** Correlates the access_log rows with the job or request. */
  readonly requestId?: string | undefined;
  /** Aborts the call: the fetch, the backoff wait, and any further attempt. The abort reason is thrown as is. */
  readonly signal?: AbortSignal | undefined;
  /** Retries of this call, overriding the caller's `retries` (0: the client retries itself). */
  readonly retries?: number | undefined;
}

export interface OutsideCallerOptions {
  /** `access_log.service` and the prefix of the retry log event (`<service>_call_retry`). */
  readonly service: OutsideService;
  /** Postgres client for access_log rows. */
  readonly sql: Sql;
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
  readonly logger?: Logger | undefined;
  /** Per-attempt timeout in ms; a timeout is a network failure (classified like a refused connection). @default 30000 */
  readonly timeoutMs?: number | undefined;
  /** Retries after a `retry` verdict (so up to `retries + 1` HTTP attempts). Integer ≥ 0. */
  readonly retries: number;
  /** First backoff in ms; doubles per retry, times a random 1–2 (jitter). @default 1000 */
  readonly minDelayMs?: number | undefined;
  /** Largest backoff in ms, and the most of a `Retry-After` honoured. @default 30000 */
  readonly maxDelayMs?: number | undefined;
  /** A number in [0, 1) for jitter. @default Math.random */
  readonly random?: (() => number) | undefined;
  /** Waits between attempts; rejects when `signal` aborts. @default setTimeout */
  readonly sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

export interface OutsideCaller {
  readonly service: OutsideService;
  /** Retries per call unless a call overrides them. */
  readonly retries: number;
  /**
   * Runs `attempt` until `classify` says ok (resolves with its value) or fail (throws its error), or a retry verdict
   * finds the retries used up (throws that verdict's error).
   */
  call<T>(attempt: OutsideAttempt<T>, options?: OutsideCallOptions): Promise<T>;
  /** Milliseconds before retry `attempt + 1` (attempt counts from 0): `Retry-After` when given (capped), else jittered backoff. */
  delayMs(attempt: number, retryAfterMs?: number): number;
}

/** `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** `setTimeout` as a promise that rejects with the signal's reason when aborted. */
const realSleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
};

const noop = () => {};

/**
 * Builds the pipeline for one outside API.
 * @throws Error when `retries` is not an integer ≥ 0, `timeoutMs` is not > 0 or a delay is negative.
 */
export function createOutsideCaller(options: OutsideCallerOptions): OutsideCaller {
  const { service, sql, logger, retries } = options;
  if (!Number.isInteger(retries) || retries < 0)
    throw new Error(`createOutsideCaller(${service}): retries must be an integer >= 0, got ${String(retries)}`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const minDelayMs = options.minDelayMs ?? 1000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  if (!(timeoutMs > 0))
    throw new Error(`createOutsideCaller(${service}): timeoutMs must be a number of ms > 0, got ${String(timeoutMs)}`);
  for (const [key, value] of [
    ['minDelayMs', minDelayMs],
    ['maxDelayMs', maxDelayMs],
  ] as const) {
    if (!(value >= 0))
      throw new Error(`createOutsideCaller(${service}): ${key} must be a number of ms >= 0, got ${String(value)}`);
  }
  const fetchFn = options.fetch ?? globalThis.fetch;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? realSleep;

  const delayMs = (attempt: number, retryAfterMs?: number): number =>
    retryAfterMs !== undefined
      ? Math.min(maxDelayMs, retryAfterMs)
      : Math.min(maxDelayMs, minDelayMs * 2 ** attempt * (1 + random()));

  /** Sends the request with the timeout; a throw is the caller's abort (rethrown) or a network failure (an answer). */
  async function send(request: OutsideRequest, signal: AbortSignal | undefined): Promise<OutsideAnswer> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const response = await fetchFn(request.url, {
        method: request.method,
        ...(request.headers && { headers: request.headers }),
        ...(request.body !== undefined && { body: request.body }),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      return { response };
    } catch (error) {
      if (signal?.aborted) throw error;
      return { networkError: error };
    }
  }

  /**
   * One HTTP attempt and its access_log row, in a client span `<METHOD> <path template>` (service, status, budget
   * class, retry number; never the URL's ids or query, headers or bodies).
   */
  function once<T>(
    attempt: OutsideAttempt<T>,
    callOptions: OutsideCallOptions,
    resendCount: number,
  ): Promise<{ verdict: Verdict<T>; status: number | null }> {
    return withSpan(
      `${attempt.method} ${attempt.pathTemplate}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: attempt.method,
          'url.template': attempt.pathTemplate,
          'peer.service': service,
          ...(attempt.budgetClass !== undefined && { 'app.budget_class': attempt.budgetClass }),
          ...(resendCount > 0 && { 'http.request.resend_count': resendCount }),
        },
      },
      async (span) => {
        const result = await onceUntraced(attempt, callOptions);
        if (result.status !== null) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, result.status);
        if (result.verdict.kind !== 'ok') markError(span, result.verdict.error);
        return result;
      },
    );
  }

  async function onceUntraced<T>(
    attempt: OutsideAttempt<T>,
    callOptions: OutsideCallOptions,
  ): Promise<{ verdict: Verdict<T>; status: number | null }> {
    const { request, release = noop } = await attempt.prepare();
    const started = performance.now();
    let status: number | null = null;
    let recordCount: number | null = attempt.recordCount ?? null;
    let errorClass: string | null = null;
    try {
      let answer: OutsideAnswer;
      try {
        answer = await send(request, callOptions.signal);
      } finally {
        release();
      }
      status = answer.response?.status ?? null;
      let verdict: Verdict<T>;
      try {
        verdict = await attempt.classify(answer);
      } catch (error) {
        verdict = fail(error instanceof Error ? error : new Error(String(error)));
      }
      if (answer.response && !answer.response.bodyUsed) await answer.response.body?.cancel();
      if (verdict.kind === 'ok') {
        if (verdict.recordCount !== undefined) recordCount = verdict.recordCount;
      } else {
        errorClass = verdict.error.name;
      }
      return { verdict, status };
    } catch (error) {
      errorClass = error instanceof Error ? error.name : 'Error';
      throw error;
    } finally {
      await writeAccessLog(sql, service, {
        method: request.method,
        pathTemplate: attempt.pathTemplate,
        status,
        durationMs: performance.now() - started,
        recordCount,
        errorClass,
        requestId: callOptions.requestId,
      });
    }
  }

  return {
    service,
    retries,
    delayMs,
    async call(attempt, callOptions = {}) {
      const allowed = callOptions.retries ?? retries;
      const { signal } = callOptions;
      for (let n = 0; ; n += 1) {
        signal?.throwIfAborted();
        const { verdict, status } = await once(attempt, callOptions, n);
        if (verdict.kind === 'ok') return verdict.value;
        if (verdict.kind === 'fail' || n >= allowed) throw verdict.error;
        const waitMs = delayMs(n, verdict.retryAfterMs);
        logger?.warn(
          {
            event: `${service}_call_retry`,
            pathTemplate: attempt.pathTemplate,
            status,
            errorClass: verdict.error.name,
            err: verdict.error,
            attemptNumber: n + 1,
            retriesLeft: allowed - n,
            waitMs: Math.round(waitMs),
            retryAfter: verdict.retryAfterMs !== undefined,
            requestId: callOptions.requestId,
          },
          `${service} call failed; retrying`,
        );
        await sleep(waitMs, signal);
      }
    },
  };
}
