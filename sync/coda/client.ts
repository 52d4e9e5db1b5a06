import type { Sql } from 'postgres';
import {
  createOutsideCaller,
  fail,
  ok,
  parseRetryAfter,
  retry,
  type OutsideAnswer,
  type Verdict,
} from '../http/outside-call.js';
import type { Logger } from '../observability/logger.js';
import { CodaHttpError, CodaNetworkError, CodaProtocolError, CodaRateLimitedError } from './errors.js';
import { sharedCodaRateLimiter, type CodaRateLimiter, type SlidingWindowGate } from './rate-limiter.js';

// The Coda API v1 client (DESIGN §7.3). HTTP calls go through the shared outside-call pipeline
// (sync/http/outside-call.ts): timeout, one access_log row each (service 'coda', a path template without ids or
// values), retries on 429/5xx/network failures with jittered exponential backoff — or `Retry-After` instead when Coda
// sends one. On top, this file keeps Coda's own protocol: every HTTP attempt waits for its turn in the process-wide
// write/read limiter, and the endpoints' envelopes (`requestId`, `mutationStatus`, paged `items`).

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
  upsertRows(
    docId: string,
    tableId: string,
    rows: readonly CodaRowInput[],
    keyColumns: readonly string[],
    options?: CodaCallOptions,
  ): Promise<string>;
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

const seg = encodeURIComponent;

/** Coda's rules for one answer: 429, 5xx and no answer are retried (`Retry-After` when sent), other 4xx fail. */
async function classifyAnswer(answer: OutsideAnswer, a: Attempt): Promise<Verdict<unknown>> {
  const { response } = answer;
  if (!response) return retry(new CodaNetworkError(a.template, { cause: answer.networkError }));
  const { status } = response;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  if (status === 429) return retry(new CodaRateLimitedError(a.template, retryAfterMs), retryAfterMs);
  if (status >= 500) return retry(new CodaHttpError(status, a.template, { retryAfterMs }), retryAfterMs);
  if (!response.ok) return fail(new CodaHttpError(status, a.template));
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    return retry(new CodaNetworkError(a.template, { cause: error }));
  }
  return ok(body, a.countRecords ? a.countRecords(body) : undefined);
}

/**
 * Builds a {@link CodaClient}.
 * @throws Error when `baseUrl` is not an http(s) URL, `token` is empty or `retries` is not an integer ≥ 0
 */
export function createCodaClient(options: CodaClientOptions): CodaClient {
  let base: URL;
  try {
    base = new URL(options.baseUrl ?? CODA_DEFAULT_BASE_URL);
  } catch {
    throw new Error(
      `createCodaClient: baseUrl must be an absolute URL such as ${CODA_DEFAULT_BASE_URL}, got "${options.baseUrl}"`,
    );
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:')
    throw new Error(`createCodaClient: baseUrl must be http(s), got ${base.protocol}`);
  if (!options.token) throw new Error('createCodaClient: token (CODA_API_TOKEN) is required');
  const retries = options.retries ?? 6;
  if (!Number.isInteger(retries) || retries < 0)
    throw new Error(`createCodaClient: retries must be an integer >= 0, got ${String(retries)}`);
  const root = base.href.replace(/\/+$/, '');
  const limiter = options.rateLimiter ?? sharedCodaRateLimiter(options.token);
  const { token } = options;
  const caller = createOutsideCaller({
    service: 'coda',
    sql: options.sql,
    fetch: options.fetch,
    logger: options.logger,
    retries,
    timeoutMs: options.requestTimeoutMs,
    minDelayMs: options.retryMinDelayMs,
    maxDelayMs: options.retryMaxDelayMs,
    random: options.random,
    sleep: options.sleep,
  });

  const gate = (kind: Kind): SlidingWindowGate => (kind === 'write' ? limiter.writes : limiter.reads);

  /** A logical call through the pipeline; each HTTP attempt first waits for its turn in the limiter. */
  function call(a: Attempt, callOptions: CodaCallOptions = {}): Promise<unknown> {
    return caller.call(
      {
        method: a.method,
        pathTemplate: a.template,
        budgetClass: a.kind,
        recordCount: a.recordCount,
        async prepare() {
          // Coda has counted the call by the time its answer starts: the pipeline releases the turn then.
          const release = await gate(a.kind).acquire();
          const headers = {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(a.body !== undefined && { 'content-type': 'application/json' }),
          };
          return {
            request: { method: a.method, url: a.url, headers, ...(a.body !== undefined && { body: a.body }) },
            release,
          };
        },
        classify: (answer) => classifyAnswer(answer, a),
      },
      callOptions,
    );
  }

  const tableUrl = (docId: string, tableId: string, rest: string) =>
    new URL(`${root}/docs/${seg(docId)}/tables/${seg(tableId)}/${rest}`);

  async function listPaged<T>(
    docId: string,
    tableId: string,
    what: 'columns' | 'rows',
    map: (item: Record<string, unknown>) => T,
    callOptions?: CodaCallOptions,
  ): Promise<T[]> {
    const template = `/docs/{docId}/tables/{tableId}/${what}`;
    const out: T[] = [];
    let pageToken: string | undefined;
    for (;;) {
      const url = tableUrl(docId, tableId, what);
      url.searchParams.set('limit', what === 'columns' ? '100' : '500');
      if (pageToken) url.searchParams.set('pageToken', pageToken);
      const body = (await call(
        {
          method: 'GET',
          url,
          template,
          kind: 'read',
          countRecords: (b) =>
            Array.isArray((b as { items?: unknown })?.items) ? (b as { items: unknown[] }).items.length : null,
        },
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
      return listPaged(
        docId,
        tableId,
        'columns',
        (item) => ({ id: String(item.id), name: String(item.name), calculated: item.calculated === true }),
        callOptions,
      );
    },

    async upsertRows(docId, tableId, rows, keyColumns, callOptions) {
      const template = '/docs/{docId}/tables/{tableId}/rows';
      if (rows.length === 0) throw new Error('upsertRows: rows must not be empty');
      if (rows.length > CODA_MAX_ROWS_PER_UPSERT)
        throw new Error(
          `upsertRows: at most ${CODA_MAX_ROWS_PER_UPSERT} rows per call, got ${rows.length}; split the batch`,
        );
      const body = JSON.stringify({ rows, keyColumns });
      const answer = (await call(
        {
          method: 'POST',
          url: tableUrl(docId, tableId, 'rows'),
          template,
          kind: 'write',
          body,
          recordCount: rows.length,
        },
        callOptions,
      )) as { requestId?: unknown } | null;
      if (!answer || typeof answer.requestId !== 'string' || answer.requestId === '')
        throw new CodaProtocolError(template, 'no requestId');
      return answer.requestId;
    },

    async mutationStatus(requestId, callOptions) {
      const template = '/mutationStatus/{requestId}';
      const answer = (await call(
        { method: 'GET', url: new URL(`${root}/mutationStatus/${seg(requestId)}`), template, kind: 'read' },
        callOptions,
      )) as {
        completed?: unknown;
        warning?: unknown;
      } | null;
      if (!answer || typeof answer.completed !== 'boolean') throw new CodaProtocolError(template, 'no completed flag');
      return { completed: answer.completed, ...(typeof answer.warning === 'string' && { warning: answer.warning }) };
    },

    retryDelayMs(attempt, error) {
      if (attempt >= retries) return undefined;
      if (error instanceof CodaRateLimitedError) return caller.delayMs(attempt, error.retryAfterMs);
      if (error instanceof CodaHttpError && error.status >= 500) return caller.delayMs(attempt, error.retryAfterMs);
      if (error instanceof CodaNetworkError) return caller.delayMs(attempt);
      return undefined;
    },

    listRows(docId, tableId, callOptions) {
      return listPaged(
        docId,
        tableId,
        'rows',
        (item) => ({
          id: String(item.id),
          values: (item.values && typeof item.values === 'object' ? item.values : {}) as Record<string, unknown>,
        }),
        callOptions,
      );
    },
  };
}
