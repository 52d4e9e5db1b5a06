import type { Sql } from 'postgres';
import type { Logger } from '../observability/logger.js';
import { CodaError, CodaHttpError, CodaNetworkError, CodaProtocolError, CodaRateLimitedError } from './errors.js';
import { sharedCodaRateLimiter, type CodaRateLimiter, type SlidingWindowGate } from './rate-limiter.js';

// The Coda API v1 client (DESIGN §7.3). Every HTTP call passes the process-wide rate limiter, writes one access_log
// row (service 'coda', a path template without ids or values), and is retried on 429/5xx/network failures with
// jittered exponential backoff — or after `Retry-After` when Coda sends one. The retry loop is hand-written rather
// than p-retry so tests can drive it with a fake sleep and so `Retry-After` replaces the backoff instead of adding to it.

import { CODA_DEFAULT_BASE_URL } from '../../contract/env.js';
import { CODA_MAX_ROWS_PER_UPSERT } from '../../contract/resources.js';

/** `https://coda.io/apis/v1` (declared in the deploy contract). */
export { CODA_DEFAULT_BASE_URL };
/** Most rows per upsert call (declared in the deploy contract: it also caps the ids of one change event). */
export { CODA_MAX_ROWS_PER_UPSERT };

export interface CodaColumn {
  readonly id: string;
  readonly name: string;
  readonly calculated: boolean;
}

export interface CodaCell {
  readonly column: string;
  readonly value: string | number | boolean;
}

export interface CodaRowInput {
  readonly cells: readonly CodaCell[];
}

export interface CodaRowOutput {
  readonly id: string;
  /** Column id → value. */
  readonly values: Readonly<Record<string, unknown>>;
}

export interface MutationStatus {
  readonly completed: boolean;
  readonly warning?: string;
}

/** Per-call options: the caller's request id lands in access_log. */
export interface CodaCallOptions {
  readonly requestId?: string | undefined;
  readonly signal?: AbortSignal | undefined;
  /**
   * Retries of this call after a 429, 5xx or network failure, overriding the client's. 0 lets the caller retry
   * itself (coda-push does, so that it re-reads its rows and does not hold its table's write turn while waiting).
   */
  readonly retries?: number | undefined;
}

export interface CodaClient {
  /** Every column of a table (follows `nextPageToken`). */
  listColumns(docId: string, tableId: string, options?: CodaCallOptions): Promise<CodaColumn[]>;
  /** Upserts ≤ 500 rows matched on `keyColumns`; resolves with Coda's mutation `requestId` (202). */
  upsertRows(docId: string, tableId: string, rows: readonly CodaRowInput[], keyColumns: readonly string[], options?: CodaCallOptions): Promise<string>;
  mutationStatus(requestId: string, options?: CodaCallOptions): Promise<MutationStatus>;
  /** Every row of a table, values keyed by column id (follows `nextPageToken`); for checks and benches. */
  listRows(docId: string, tableId: string, options?: CodaCallOptions): Promise<CodaRowOutput[]>;
  /**
   * The client's retry policy, for callers that retry themselves (`retries: 0`): how long to wait before retry number
   * `attempt + 1` after `error`, or undefined when the error is not worth retrying or the retries are used up.
   * `Retry-After` replaces the jittered exponential backoff when Coda sent one.
   */
  retryDelayMs(attempt: number, error: unknown): number | undefined;
}

export interface CodaClientOptions {
  /** API root including `/apis/v1`. @default https://coda.io/apis/v1 */
  readonly baseUrl?: string;
  /** Coda API token (Bearer). */
  readonly token: string;
  /** Postgres client for access_log rows. */
  readonly sql: Sql;
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
  /** @default the process-wide limiter of `token` (9 writes, 90 reads per 6 s) */
  readonly rateLimiter?: CodaRateLimiter;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for jitter. @default Math.random */
  readonly random?: () => number;
  readonly logger?: Logger;
  /** Retries after a 429, 5xx or network failure (so up to `retries + 1` calls). Integer ≥ 0. @default 6 */
  readonly retries?: number;
  /** First backoff in ms; doubles per retry, times a random 1–2 (jitter). @default 1000 */
  readonly retryMinDelayMs?: number;
  /** Largest backoff in ms, and the most of a `Retry-After` honoured. @default 30000 */
  readonly retryMaxDelayMs?: number;
  /** Per-call timeout in ms (counts as a network failure). @default 30000 */
  readonly requestTimeoutMs?: number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `Retry-After` as ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

type Kind = 'read' | 'write';

interface Attempt {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly template: string;
  readonly kind: Kind;
  readonly body?: string;
  readonly recordCount?: number;
  /** Records in a 2xx body, for access_log. */
  readonly countRecords?: (body: unknown) => number | null;
}

class RetryableFailure extends Error {
  override name = 'RetryableFailure';
  constructor(
    readonly error: CodaError,
    readonly retryAfterMs: number | undefined,
  ) {
    super(error.message);
  }
}

const seg = encodeURIComponent;

/**
 * Builds a {@link CodaClient}.
 * @throws Error when `baseUrl` is not an http(s) URL, `token` is empty or `retries` is not an integer ≥ 0
 */
export function createCodaClient(options: CodaClientOptions): CodaClient {
  let base: URL;
  try {
    base = new URL(options.baseUrl ?? CODA_DEFAULT_BASE_URL);
  } catch {
    throw new Error(`createCodaClient: baseUrl must be an absolute URL such as ${CODA_DEFAULT_BASE_URL}, got "${options.baseUrl}"`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error(`createCodaClient: baseUrl must be http(s), got ${base.protocol}`);
  if (!options.token) throw new Error('createCodaClient: token (CODA_API_TOKEN) is required');
  const retries = options.retries ?? 6;
  if (!Number.isInteger(retries) || retries < 0) throw new Error(`createCodaClient: retries must be an integer >= 0, got ${String(retries)}`);
  const root = base.href.replace(/\/+$/, '');
  const fetchFn = options.fetch ?? globalThis.fetch;
  const limiter = options.rateLimiter ?? sharedCodaRateLimiter(options.token);
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const minDelay = options.retryMinDelayMs ?? 1000;
  const maxDelay = options.retryMaxDelayMs ?? 30_000;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const { sql, logger, token } = options;

  const gate = (kind: Kind): SlidingWindowGate => (kind === 'write' ? limiter.writes : limiter.reads);

  async function accessLog(a: Attempt, status: number | null, started: number, recordCount: number | null, errorClass: string | null, requestId: string | undefined) {
    await sql`
      INSERT INTO access_log (service, method, path_template, status, duration_ms, record_count, error_class, request_id)
      VALUES ('coda', ${a.method}, ${a.template}, ${status}, ${Math.max(0, Math.round(performance.now() - started))},
              ${recordCount}, ${errorClass}, ${requestId ?? null})`;
  }

  /** One HTTP call through the limiter, with its access_log row. */
  async function once(a: Attempt, call: CodaCallOptions): Promise<unknown> {
    const release = await gate(a.kind).acquire();
    const started = performance.now();
    let status: number | null = null;
    let recordCount: number | null = a.recordCount ?? null;
    let errorClass: string | null = null;
    try {
      let response: Response;
      try {
        const timeout = AbortSignal.timeout(timeoutMs);
        response = await fetchFn(a.url, {
          method: a.method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(a.body !== undefined && { 'content-type': 'application/json' }),
          },
          ...(a.body !== undefined && { body: a.body }),
          signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout,
        });
      } catch (error) {
        release();
        if (call.signal?.aborted) throw error;
        throw new RetryableFailure(new CodaNetworkError(a.template, { cause: error }), undefined);
      }
      // Coda has counted the call by the time its answer starts: from here it uses a slot of the window.
      release();
      status = response.status;
      if (status === 429) {
        await response.body?.cancel();
        throw new RetryableFailure(new CodaRateLimitedError(a.template, parseRetryAfter(response.headers.get('retry-after'))), parseRetryAfter(response.headers.get('retry-after')));
      }
      if (status >= 500) {
        await response.body?.cancel();
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        throw new RetryableFailure(new CodaHttpError(status, a.template, { retryAfterMs }), retryAfterMs);
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new CodaHttpError(status, a.template);
      }
      let body: unknown;
      try {
        body = await response.json();
      } catch (error) {
        throw new RetryableFailure(new CodaNetworkError(a.template, { cause: error }), undefined);
      }
      if (a.countRecords) recordCount = a.countRecords(body);
      return body;
    } catch (error) {
      const inner = error instanceof RetryableFailure ? error.error : error;
      errorClass = inner instanceof Error ? inner.name : 'Error';
      throw error;
    } finally {
      release();
      await accessLog(a, status, started, recordCount, errorClass, call.requestId);
    }
  }

  /** Milliseconds before retry `attempt + 1`: `Retry-After` when given (capped), else jittered exponential backoff. */
  const delayFor = (attempt: number, retryAfterMs: number | undefined): number =>
    retryAfterMs !== undefined ? Math.min(maxDelay, retryAfterMs) : Math.min(maxDelay, minDelay * 2 ** attempt * (1 + random()));

  /** A logical call: retries 429/5xx/network, waiting `Retry-After` when given, else jittered backoff. */
  async function call(a: Attempt, callOptions: CodaCallOptions = {}): Promise<unknown> {
    const allowed = callOptions.retries ?? retries;
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await once(a, callOptions);
      } catch (error) {
        if (!(error instanceof RetryableFailure)) throw error;
        if (attempt >= allowed) throw error.error;
        const waitMs = delayFor(attempt, error.retryAfterMs);
        logger?.warn(
          {
            event: 'coda_call_retry', pathTemplate: a.template, errorClass: error.error.name,
            status: error.error instanceof CodaHttpError ? error.error.status : error.error instanceof CodaRateLimitedError ? 429 : null,
            attemptNumber: attempt + 1, retriesLeft: retries - attempt, waitMs: Math.round(waitMs), retryAfter: error.retryAfterMs !== undefined,
            requestId: callOptions.requestId,
          },
          'Coda call failed; retrying',
        );
        await sleep(waitMs);
      }
    }
  }

  const tableUrl = (docId: string, tableId: string, rest: string) => new URL(`${root}/docs/${seg(docId)}/tables/${seg(tableId)}/${rest}`);

  async function listPaged<T>(docId: string, tableId: string, what: 'columns' | 'rows', map: (item: Record<string, unknown>) => T, callOptions?: CodaCallOptions): Promise<T[]> {
    const template = `/docs/{docId}/tables/{tableId}/${what}`;
    const out: T[] = [];
    let pageToken: string | undefined;
    for (;;) {
      const url = tableUrl(docId, tableId, what);
      url.searchParams.set('limit', what === 'columns' ? '100' : '500');
      if (pageToken) url.searchParams.set('pageToken', pageToken);
      const body = (await call(
        { method: 'GET', url, template, kind: 'read', countRecords: (b) => (Array.isArray((b as { items?: unknown })?.items) ? (b as { items: unknown[] }).items.length : null) },
        callOptions,
      )) as { items?: unknown; nextPageToken?: unknown } | null;
      if (!body || !Array.isArray(body.items)) throw new CodaProtocolError(template, 'no items array');
      for (const item of body.items) {
        if (!item || typeof item !== 'object') throw new CodaProtocolError(template, 'an item is not an object');
        out.push(map(item as Record<string, unknown>));
      }
      if (typeof body.nextPageToken !== 'string' || body.nextPageToken === '') return out;
      pageToken = body.nextPageToken;
    }
  }

  return {
    listColumns(docId, tableId, callOptions) {
      return listPaged(docId, tableId, 'columns', (item) => ({ id: String(item.id), name: String(item.name), calculated: item.calculated === true }), callOptions);
    },

    async upsertRows(docId, tableId, rows, keyColumns, callOptions) {
      const template = '/docs/{docId}/tables/{tableId}/rows';
      if (rows.length === 0) throw new Error('upsertRows: rows must not be empty');
      if (rows.length > CODA_MAX_ROWS_PER_UPSERT) throw new Error(`upsertRows: at most ${CODA_MAX_ROWS_PER_UPSERT} rows per call, got ${rows.length}; split the batch`);
      const body = JSON.stringify({ rows, keyColumns });
      const answer = (await call(
        { method: 'POST', url: tableUrl(docId, tableId, 'rows'), template, kind: 'write', body, recordCount: rows.length },
        callOptions,
      )) as { requestId?: unknown } | null;
      if (!answer || typeof answer.requestId !== 'string' || answer.requestId === '') throw new CodaProtocolError(template, 'no requestId');
      return answer.requestId;
    },

    async mutationStatus(requestId, callOptions) {
      const template = '/mutationStatus/{requestId}';
      const answer = (await call({ method: 'GET', url: new URL(`${root}/mutationStatus/${seg(requestId)}`), template, kind: 'read' }, callOptions)) as {
        completed?: unknown;
        warning?: unknown;
      } | null;
      if (!answer || typeof answer.completed !== 'boolean') throw new CodaProtocolError(template, 'no completed flag');
      return { completed: answer.completed, ...(typeof answer.warning === 'string' && { warning: answer.warning }) };
    },

    retryDelayMs(attempt, error) {
      if (attempt >= retries) return undefined;
      if (error instanceof CodaRateLimitedError) return delayFor(attempt, error.retryAfterMs);
      if (error instanceof CodaHttpError && error.status >= 500) return delayFor(attempt, error.retryAfterMs);
      if (error instanceof CodaNetworkError) return delayFor(attempt, undefined);
      return undefined;
    },

    listRows(docId, tableId, callOptions) {
      return listPaged(
        docId,
        tableId,
        'rows',
        (item) => ({ id: String(item.id), values: (item.values && typeof item.values === 'object' ? item.values : {}) as Record<string, unknown> }),
        callOptions,
      );
    },
  };
}
