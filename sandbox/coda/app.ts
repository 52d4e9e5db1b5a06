import { Hono } from 'hono';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createCallLog, type CodaSandboxStats } from './call-log.js';
import { CodaApiError, codaErrorBody } from './errors.js';
import { createFaultSwitch } from './faults.js';
import type { FaultSpec } from './faults.js';
import { createMutationQueue } from './mutations.js';
import {
  DEFAULT_PAGE_SIZE,
  MAX_COLUMNS_PAGE_SIZE,
  MAX_ROWS_PAGE_SIZE,
  decodeToken,
  encodeToken,
  parseLimit,
} from './paging.js';
import { createSlidingWindowLimiter } from './rate-limit.js';
import { columnJson, rowJson, tableHref, tableJson } from './serialize.js';
import { baseOf, comparableValue, createCodaStore } from './store.js';
import type { CodaDocSpec, CodaRow, CreatedCodaDoc } from './store.js';
import { deleteRowsBody, formatIssues, parseQuery, readJson, updateRowBody, upsertRowsBody } from './validation.js';
import { createWriteResolver } from './writes.js';

// The factory wires the parts and declares the middleware and routes; each concern is its own file: store.ts (docs,
// tables, rows), mutations.ts (asynchronous apply), rate-limit.ts and faults.ts (refusals), call-log.ts (stats),
// paging.ts (page tokens and limits), serialize.ts (Coda's JSON), validation.ts (request bodies and filters),
// writes.ts (write targets), errors.ts (Coda's error shape).

/** Coda's documented per-token budgets: 10 writes and 100 reads per 6 s. */
export const CODA_WRITES_PER_WINDOW = 10;
export const CODA_READS_PER_WINDOW = 100;
export const CODA_RATE_WINDOW_MS = 6_000;
/**
 * Request payload cap, 2 MiB: the figure the design notes give for Coda's request payloads. The exact
 * limit and the status Coda answers with were not verifiable from here; the sandbox answers 413.
 */
export const CODA_MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Coda's API prefix: the app serves under it and a running sandbox's `url` ends with it. */
export const CODA_API_PREFIX = '/apis/v1';

export interface CodaRateLimitOptions {
  /** Accepted writes (POST/PUT/PATCH/DELETE) per token per window. @default 10 */
  readonly writesPerWindow?: number;
  /** Accepted reads (GET) per token per window. @default 100 */
  readonly readsPerWindow?: number;
  /** Sliding window length in milliseconds. @default 6000 */
  readonly windowMs?: number;
  /**
   * `Retry-After` on a rate-limit 429: seconds as a number, `'computed'` for the seconds until a
   * slot frees (rounded up), or unset for no header.
   * @default unset — Coda does not document the header
   */
  readonly retryAfter?: number | 'computed';
}

export interface CodaSandboxOptions {
  /** API tokens accepted as `Authorization: Bearer <token>`; each has its own rate budget. Required, non-empty. */
  readonly tokens: readonly string[];
  /** Docs created at start-up. @default [] */
  readonly docs?: readonly CodaDocSpec[];
  /**
   * Milliseconds between accepting a mutation (202) and applying it; real Coda takes "several
   * seconds". `control.flush()` applies pending mutations at once.
   * @default 0 (applied on a later timer tick, never inside the request)
   */
  readonly applyDelayMs?: number;
  /** Clock for rate limits, fault windows and row timestamps, in ms since the epoch. @default Date.now */
  readonly clock?: () => number;
  /** @default Coda's limits: 10 writes and 100 reads per 6 s per token, no Retry-After */
  readonly rateLimits?: CodaRateLimitOptions;
  /** Largest accepted request body in bytes; larger → 413 in Coda's error shape. @default 2 MiB */
  readonly maxBodyBytes?: number;
  /** Page size when `limit` is absent, for rows and columns. @default 100 */
  readonly defaultPageSize?: number;
}

/** A row as `control.rows()` returns it: column id → value. */
export interface CodaSandboxRow {
  readonly id: string;
  readonly values: Readonly<Record<string, unknown>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

type Env = { Variables: { token: string; upsertRows: number } };

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`createCodaSandbox: ${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * A local stand-in for Coda API v1 under `/apis/v1`: docs/tables/columns/rows with Coda's ids,
 * upsert by key columns with 202 + asynchronous apply + `mutationStatus`, paging, Coda-shaped
 * errors, per-token rate limits (10 writes / 100 reads per 6 s) and fault switches.
 * @throws Error when `tokens` is empty or a numeric option is out of range
 * @example
 * const { app, control } = createCodaSandbox({ tokens: ['t'] });
 * const doc = control.createDoc({ tables: [{ name: 'Patients', columns: [{ name: 'DrChrono ID' }] }] });
 */
export function createCodaSandbox(options: CodaSandboxOptions) {
  if (options.tokens.length === 0 || options.tokens.some((t) => t.length === 0)) {
    throw new Error('createCodaSandbox: tokens must list at least one non-empty API token');
  }
  const tokens = new Set(options.tokens);
  const clock = options.clock ?? Date.now;
  const windowMs = positiveInteger('rateLimits.windowMs', options.rateLimits?.windowMs, CODA_RATE_WINDOW_MS);
  const writeLimiter = createSlidingWindowLimiter({
    limit: positiveInteger('rateLimits.writesPerWindow', options.rateLimits?.writesPerWindow, CODA_WRITES_PER_WINDOW),
    windowMs,
    clock,
  });
  const readLimiter = createSlidingWindowLimiter({
    limit: positiveInteger('rateLimits.readsPerWindow', options.rateLimits?.readsPerWindow, CODA_READS_PER_WINDOW),
    windowMs,
    clock,
  });
  const retryAfter = options.rateLimits?.retryAfter;
  const maxBodyBytes = positiveInteger('maxBodyBytes', options.maxBodyBytes, CODA_MAX_BODY_BYTES);
  const defaultPageSize = positiveInteger('defaultPageSize', options.defaultPageSize, DEFAULT_PAGE_SIZE);
  const store = createCodaStore({ clock });
  const faults = createFaultSwitch(clock);
  const mutations = createMutationQueue({ applyDelayMs: options.applyDelayMs ?? 0 });
  for (const doc of options.docs ?? []) store.createDoc(doc);

  const calls = createCallLog();

  const app = new Hono<Env>().basePath(CODA_API_PREFIX);

  const fail = (c: Context, status: number, message?: string, headers?: Record<string, string>) =>
    c.json(codaErrorBody(status, message), status as ContentfulStatusCode, headers);

  app.onError((err, c) => {
    if (err instanceof CodaApiError) return fail(c, err.status, err.message);
    return fail(c, 500, 'Internal server error.');
  });
  app.notFound((c) => fail(c, 404, 'Resource not found.'));

  // Observability: every call, before anything can refuse it.
  app.use('*', async function codaCallLog(c, next) {
    const isWrite = WRITE_METHODS.has(c.req.method);
    const at = clock();
    await next();
    if (!isWrite) {
      calls.read();
      return;
    }
    const rows = c.res.status === 202 ? c.get('upsertRows') : undefined;
    calls.write({
      at,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ...(rows !== undefined && { rows }),
    });
  });

  app.use('*', async function codaAuth(c, next) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
    const token = match?.[1];
    if (token === undefined || !tokens.has(token)) {
      return fail(c, 401, 'The API token is invalid or has expired.');
    }
    c.set('token', token);
    await next();
  });

  app.use('*', async function codaFaultsAndLimits(c, next) {
    const isWrite = WRITE_METHODS.has(c.req.method);
    const fault = faults.take(isWrite);
    if (fault) {
      const headers =
        fault.retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(fault.retryAfterSeconds) };
      return fail(c, fault.status, fault.status === 429 ? 'Rate limit exceeded.' : 'Injected fault.', headers);
    }
    const taken = (isWrite ? writeLimiter : readLimiter).tryTake(c.get('token'));
    if (!taken.ok) {
      const seconds = retryAfter === 'computed' ? Math.max(1, Math.ceil(taken.retryAfterMs / 1000)) : retryAfter;
      const headers = seconds === undefined ? undefined : { 'Retry-After': String(seconds) };
      return fail(c, 429, 'Rate limit exceeded. Slow down and retry later.', headers);
    }
    await next();
  });

  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: (c) => fail(c, 413, `Request payload exceeds the limit of ${maxBodyBytes} bytes.`),
  });

  const apiBase = (c: Context) => `${new URL(c.req.url).origin}${CODA_API_PREFIX}`;
  const { writableTable, toCellMap } = createWriteResolver(store);

  app.get('/docs/:docId', (c) => {
    const doc = store.getDoc(c.req.param('docId'));
    return c.json({
      id: doc.id,
      type: 'doc',
      name: doc.name,
      href: `${apiBase(c)}/docs/${doc.id}`,
      createdAt: new Date(doc.createdAt).toISOString(),
    });
  });

  app.get('/docs/:docId/tables', (c) => {
    const doc = store.getDoc(c.req.param('docId'));
    return c.json({
      items: doc.tables.map((t) => tableJson(apiBase(c), t)),
      href: `${apiBase(c)}/docs/${doc.id}/tables`,
    });
  });

  app.get('/docs/:docId/tables/:tableIdOrName', (c) =>
    c.json(tableJson(apiBase(c), store.getTable(c.req.param('docId'), c.req.param('tableIdOrName')))),
  );

  app.get('/docs/:docId/tables/:tableIdOrName/columns', (c) => {
    const table = store.getTable(c.req.param('docId'), c.req.param('tableIdOrName'));
    const limit = parseLimit(c.req.query('limit'), defaultPageSize, MAX_COLUMNS_PAGE_SIZE);
    const offset = decodeToken(c.req.query('pageToken'), 'offset');
    const { columns } = baseOf(table);
    const items = columns.slice(offset, offset + limit).map((col, i) => columnJson(apiBase(c), table, col, offset + i));
    const href = `${tableHref(apiBase(c), table)}/columns`;
    const next = offset + limit < columns.length ? encodeToken({ offset: offset + limit }) : undefined;
    return c.json({
      items,
      href,
      ...(next !== undefined && { nextPageToken: next, nextPageLink: `${href}?pageToken=${next}&limit=${limit}` }),
    });
  });

  app.get('/docs/:docId/tables/:tableIdOrName/columns/:columnIdOrName', (c) => {
    const table = store.getTable(c.req.param('docId'), c.req.param('tableIdOrName'));
    const column = store.findColumn(table, c.req.param('columnIdOrName'));
    if (!column) throw new CodaApiError(404, `Column "${c.req.param('columnIdOrName')}" does not exist.`);
    return c.json(columnJson(apiBase(c), table, column, baseOf(table).columns.indexOf(column)));
  });

  app.get('/docs/:docId/tables/:tableIdOrName/rows', (c) => {
    const table = store.getTable(c.req.param('docId'), c.req.param('tableIdOrName'));
    const limit = parseLimit(c.req.query('limit'), defaultPageSize, MAX_ROWS_PAGE_SIZE);
    const after = decodeToken(c.req.query('pageToken'), 'after');
    const useColumnNames = c.req.query('useColumnNames') === 'true';
    const query = c.req.query('query');
    let filter: ((row: CodaRow) => boolean) | undefined;
    if (query !== undefined && query !== '') {
      const parsed = parseQuery(query);
      const column = store.findColumn(table, parsed.column);
      if (!column) throw new CodaApiError(400, `query names an unknown column "${parsed.column}".`);
      const wanted = comparableValue(parsed.value);
      filter = (row) => comparableValue(row.values.get(column.id)) === wanted;
    }
    const items: ReturnType<typeof rowJson>[] = [];
    let index = -1;
    let more = false;
    let lastSeq = after;
    for (const row of baseOf(table).rows.values()) {
      index += 1;
      if (row.seq <= after || (filter && !filter(row))) continue;
      if (items.length === limit) {
        more = true;
        break;
      }
      items.push(rowJson(apiBase(c), table, row, index, useColumnNames));
      lastSeq = row.seq;
    }
    const href = `${tableHref(apiBase(c), table)}/rows`;
    const next = more ? encodeToken({ after: lastSeq }) : undefined;
    const link = new URL(href);
    if (next !== undefined) {
      link.searchParams.set('pageToken', next);
      link.searchParams.set('limit', String(limit));
      if (query) link.searchParams.set('query', query);
      if (useColumnNames) link.searchParams.set('useColumnNames', 'true');
    }
    return c.json({ items, href, ...(next !== undefined && { nextPageToken: next, nextPageLink: link.toString() }) });
  });

  app.get('/docs/:docId/tables/:tableIdOrName/rows/:rowIdOrName', (c) => {
    const table = store.getTable(c.req.param('docId'), c.req.param('tableIdOrName'));
    const row = store.findRow(table, c.req.param('rowIdOrName'));
    if (!row) throw new CodaApiError(404, `Row "${c.req.param('rowIdOrName')}" does not exist.`);
    const index = [...baseOf(table).rows.keys()].indexOf(row.id);
    return c.json(rowJson(apiBase(c), table, row, index, c.req.query('useColumnNames') === 'true'));
  });

  app.post('/docs/:docId/tables/:tableIdOrName/rows', limitBody, async (c) => {
    const table = writableTable(c.req.param('docId'), c.req.param('tableIdOrName'));
    const parsed = upsertRowsBody.safeParse(await readJson(c));
    if (!parsed.success) throw new CodaApiError(400, formatIssues(parsed.error));
    const keyColumnIds = (parsed.data.keyColumns ?? []).map((ref) => {
      const column = store.findColumn(table, ref);
      if (!column) throw new CodaApiError(400, `keyColumns: unknown column "${ref}" in table ${table.id}.`);
      return column.id;
    });
    const rows = parsed.data.rows.map((row, i) => {
      const cells = toCellMap(table, row.cells, `rows[${i}]`);
      const missing = keyColumnIds.find((id) => !cells.has(id));
      if (missing) throw new CodaApiError(400, `rows[${i}]: no value for key column ${missing}.`);
      return cells;
    });
    const addedRowIds = keyColumnIds.length === 0 ? rows.map(() => store.newRowId()) : undefined;
    const requestId = mutations.enqueue(() => store.applyUpsert(table, rows, keyColumnIds, addedRowIds));
    c.set('upsertRows', rows.length);
    return c.json({ requestId, ...(addedRowIds && { addedRowIds }) }, 202);
  });

  app.delete('/docs/:docId/tables/:tableIdOrName/rows', limitBody, async (c) => {
    const table = writableTable(c.req.param('docId'), c.req.param('tableIdOrName'));
    const parsed = deleteRowsBody.safeParse(await readJson(c));
    if (!parsed.success) throw new CodaApiError(400, formatIssues(parsed.error));
    const { rowIds } = parsed.data;
    const requestId = mutations.enqueue(() => store.applyDelete(table, rowIds));
    return c.json({ requestId, rowIds }, 202);
  });

  app.put('/docs/:docId/tables/:tableIdOrName/rows/:rowIdOrName', limitBody, async (c) => {
    const table = writableTable(c.req.param('docId'), c.req.param('tableIdOrName'));
    const row = store.findRow(table, c.req.param('rowIdOrName'));
    if (!row) throw new CodaApiError(404, `Row "${c.req.param('rowIdOrName')}" does not exist.`);
    const parsed = updateRowBody.safeParse(await readJson(c));
    if (!parsed.success) throw new CodaApiError(400, formatIssues(parsed.error));
    const cells = toCellMap(table, parsed.data.row.cells, 'row');
    const requestId = mutations.enqueue(() => store.applyUpdate(table, row.id, cells));
    return c.json({ requestId, id: row.id }, 202);
  });

  app.delete('/docs/:docId/tables/:tableIdOrName/rows/:rowIdOrName', (c) => {
    const table = writableTable(c.req.param('docId'), c.req.param('tableIdOrName'));
    const row = store.findRow(table, c.req.param('rowIdOrName'));
    if (!row) throw new CodaApiError(404, `Row "${c.req.param('rowIdOrName')}" does not exist.`);
    const requestId = mutations.enqueue(() => store.applyDelete(table, [row.id]));
    return c.json({ requestId, id: row.id }, 202);
  });

  app.get('/mutationStatus/:requestId', (c) => {
    const completed = mutations.status(c.req.param('requestId'));
    if (completed === undefined) throw new CodaApiError(404, `Mutation "${c.req.param('requestId')}" is not known.`);
    return c.json({ completed });
  });

  const control = {
    /** Creates a doc from a spec and returns its ids (table name → `grid-…`, column name → `c-…`). */
    createDoc: (spec: CodaDocSpec): CreatedCodaDoc => store.createDoc(spec),
    /**
     * Every applied row of a table (by id, in any doc): only the cells ever written, keyed by column id.
     * @throws Error when no table has that id
     */
    rows(tableId: string): CodaSandboxRow[] {
      const table = store.findTable(tableId);
      if (!table) throw new Error(`control.rows: no table with id "${tableId}"`);
      return [...baseOf(table).rows.values()].map((row) => ({
        id: row.id,
        values: Object.fromEntries(row.values),
        createdAt: new Date(row.createdAt).toISOString(),
        updatedAt: new Date(row.updatedAt).toISOString(),
      }));
    },
    /** Applies every pending (not stalled) mutation now, in order; returns how many were applied. */
    flush: (): number => mutations.flush(),
    /** Mutations accepted but not applied yet (stalled ones excluded). */
    pendingMutations: (): number => mutations.pending(),
    /** Changes the apply delay for mutations accepted from now on. */
    setApplyDelay: (ms: number): void => mutations.setDelay(ms),
    /** The next `count` accepted mutations answer 202 but are never applied and never complete. */
    stallNextMutations: (count = 1): void => mutations.stallNext(count),
    /** Starts a storm of 429/5xx answers for the next `count` calls and/or `durationMs`. */
    injectFaults: (spec: FaultSpec): void => faults.inject(spec),
    clearFaults: (): void => faults.clear(),
    stats: (): CodaSandboxStats => calls.stats(),
    /**
     * The most write calls seen inside any window of `windowMs` (default 6000), counting every
     * write call, or only accepted ones with `acceptedOnly`.
     */
    peakWritesPerWindow(windowMs = CODA_RATE_WINDOW_MS, opts: { acceptedOnly?: boolean } = {}): number {
      return calls.peakWritesPerWindow(windowMs, opts.acceptedOnly ?? false);
    },
    /** Clears call counters and logs, and the rate-limit windows. */
    resetStats(): void {
      calls.reset();
      writeLimiter.reset();
      readLimiter.reset();
    },
    /** Cancels pending apply timers (pending mutations stay unapplied). */
    dispose: (): void => mutations.dispose(),
  };

  return { app, control };
}

export type CodaSandbox = ReturnType<typeof createCodaSandbox>;
export type CodaSandboxControl = CodaSandbox['control'];
