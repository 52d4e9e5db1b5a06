import { Hono } from 'hono';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CodaApiError, codaErrorBody } from './errors.js';
import { createFaultSwitch } from './faults.js';
import type { FaultSpec } from './faults.js';
import { createMutationQueue } from './mutations.js';
import { createSlidingWindowLimiter, peakPerWindow } from './rate-limit.js';
import { baseOf, comparableValue, createCodaStore } from './store.js';
import type { CellMap, CodaColumn, CodaDocSpec, CodaRow, CodaTable, CreatedCodaDoc } from './store.js';
import { deleteRowsBody, formatIssues, updateRowBody, upsertRowsBody } from './validation.js';
import type { CellInput } from './validation.js';

/** Coda's documented per-token budgets: 10 writes and 100 reads per 6 s. */
export const CODA_WRITES_PER_WINDOW = 10;
export const CODA_READS_PER_WINDOW = 100;
export const CODA_RATE_WINDOW_MS = 6_000;
/**
 * Request payload cap, 2 MiB: the figure the design notes give for Coda's request payloads. The exact
 * limit and the status Coda answers with were not verifiable from here; the sandbox answers 413.
 */
export const CODA_MAX_BODY_BYTES = 2 * 1024 * 1024;
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_ROWS_PAGE_SIZE = 500;
export const MAX_COLUMNS_PAGE_SIZE = 100;

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

/** One write call (POST/PUT/PATCH/DELETE) as the sandbox saw it. */
export interface CodaWriteLogEntry {
  /** Sandbox clock, ms since the epoch. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Rows carried by an accepted upsert. */
  readonly rows?: number;
}

export interface CodaSandboxStats {
  readonly readCalls: number;
  /** Every write call received, whatever its answer. */
  readonly writeCalls: number;
  /** Write calls answered 202. */
  readonly acceptedWrites: number;
  /** Row count of each accepted upsert call, in order. */
  readonly rowsPerUpsert: readonly number[];
  readonly writeLog: readonly CodaWriteLogEntry[];
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

function encodeToken(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeToken(token: string | undefined, field: 'after' | 'offset'): number {
  if (token === undefined || token === '') return 0;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const n = (parsed as Record<string, unknown> | null)?.[field];
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0) return n;
  } catch {
    // fall through
  }
  throw new CodaApiError(400, 'Invalid pageToken.');
}

function parseLimit(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return Math.min(fallback, max);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CodaApiError(400, 'limit must be a positive integer.');
  return Math.min(n, max);
}

/**
 * Parses Coda's row filter `<columnIdOrName>:<JSON value>`; a column name with special characters
 * is quoted (`"My Column":123`). String values are JSON strings (`c-abc:"groceries"`).
 */
function parseQuery(query: string): { column: string; value: unknown } {
  let column: string;
  let rest: string;
  const quoted = /^"((?:[^"\\]|\\.)*)":([\s\S]*)$/.exec(query);
  if (quoted) {
    column = JSON.parse(`"${quoted[1] ?? ''}"`) as string;
    rest = quoted[2] ?? '';
  } else {
    const at = query.indexOf(':');
    if (at <= 0) throw new CodaApiError(400, 'query must look like <columnIdOrName>:<JSON value>.');
    column = query.slice(0, at);
    rest = query.slice(at + 1);
  }
  try {
    return { column, value: JSON.parse(rest) };
  } catch {
    throw new CodaApiError(400, 'The value in query must be JSON; quote strings, e.g. c-abc:"value".');
  }
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

  let readCalls = 0;
  const writeLog: CodaWriteLogEntry[] = [];
  const rowsPerUpsert: number[] = [];

  const app = new Hono<Env>().basePath('/apis/v1');

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
      readCalls += 1;
      return;
    }
    const rows = c.res.status === 202 ? c.get('upsertRows') : undefined;
    if (rows !== undefined) rowsPerUpsert.push(rows);
    writeLog.push({ at, method: c.req.method, path: c.req.path, status: c.res.status, ...(rows !== undefined && { rows }) });
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
      const headers = fault.retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(fault.retryAfterSeconds) };
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

  const baseUrl = (c: Context) => `${new URL(c.req.url).origin}/apis/v1`;
  const tableHref = (c: Context, table: CodaTable) => `${baseUrl(c)}/docs/${table.docId}/tables/${table.id}`;

  const columnJson = (c: Context, table: CodaTable, column: CodaColumn, index: number) => ({
    id: column.id,
    type: 'column',
    name: column.name,
    href: `${tableHref(c, table)}/columns/${column.id}`,
    calculated: column.calculated,
    display: index === 0,
    format: { type: 'text', isArray: false },
  });

  const rowJson = (c: Context, table: CodaTable, row: CodaRow, index: number, useColumnNames: boolean) => {
    const { columns } = baseOf(table);
    const values: Record<string, unknown> = {};
    // Like Coda, every column appears; a cell never written reads as an empty string.
    for (const column of columns) values[useColumnNames ? column.name : column.id] = row.values.get(column.id) ?? '';
    const display = columns[0];
    return {
      id: row.id,
      type: 'row',
      href: `${tableHref(c, table)}/rows/${row.id}`,
      name: display ? comparableValue(row.values.get(display.id)) : '',
      index,
      browserLink: `https://coda.io/d/_d${table.docId}#_tu${table.id}/_ru${row.id}`,
      createdAt: new Date(row.createdAt).toISOString(),
      updatedAt: new Date(row.updatedAt).toISOString(),
      values,
    };
  };

  const tableJson = (c: Context, table: CodaTable) => {
    const base = baseOf(table);
    const display = base.columns[0];
    return {
      id: table.id,
      type: 'table',
      tableType: table.tableType,
      href: tableHref(c, table),
      browserLink: `https://coda.io/d/_d${table.docId}#_tu${table.id}`,
      name: table.name,
      rowCount: base.rows.size,
      createdAt: new Date(table.createdAt).toISOString(),
      updatedAt: new Date(table.createdAt).toISOString(),
      ...(display && { displayColumn: { id: display.id, type: 'column', href: `${tableHref(c, table)}/columns/${display.id}` } }),
      ...(table.tableType === 'view' && {
        parentTable: { id: table.base.id, type: 'table', tableType: 'table', href: tableHref(c, table.base), name: table.base.name },
      }),
    };
  };

  /** The base table behind a write; writing to a view is refused like Coda does. */
  const writableTable = (docId: string, tableIdOrName: string) => {
    const table = store.getTable(docId, tableIdOrName);
    if (table.tableType !== 'table') {
      throw new CodaApiError(400, `Table "${tableIdOrName}" is a view; rows can only be written to base tables.`);
    }
    return table;
  };

  /** Resolves cells (column by id or name) to column id → value, refusing unknown and calculated columns. */
  const toCellMap = (table: CodaTable, cells: readonly CellInput[], where: string): CellMap => {
    const map = new Map<string, unknown>();
    for (const cell of cells) {
      const column = store.findColumn(table, cell.column);
      if (!column) throw new CodaApiError(400, `${where}: unknown column "${cell.column}" in table ${table.id}.`);
      if (column.calculated) {
        throw new CodaApiError(400, `${where}: column ${column.id} is calculated and cannot be written.`);
      }
      if (map.has(column.id)) throw new CodaApiError(400, `${where}: column ${column.id} appears twice.`);
      map.set(column.id, cell.value);
    }
    return map;
  };

  const readJson = async (c: Context): Promise<unknown> => {
    try {
      return await c.req.json();
    } catch {
      throw new CodaApiError(400, 'The request body is not valid JSON.');
    }
  };

  app.get('/docs/:docId', (c) => {
    const doc = store.getDoc(c.req.param('docId'));
    return c.json({ id: doc.id, type: 'doc', name: doc.name, href: `${baseUrl(c)}/docs/${doc.id}`, createdAt: new Date(doc.createdAt).toISOString() });
  });

  app.get('/docs/:docId/tables', (c) => {
    const doc = store.getDoc(c.req.param('docId'));
    return c.json({ items: doc.tables.map((t) => tableJson(c, t)), href: `${baseUrl(c)}/docs/${doc.id}/tables` });
  });

  app.get('/docs/:docId/tables/:tableIdOrName', (c) =>
    c.json(tableJson(c, store.getTable(c.req.param('docId'), c.req.param('tableIdOrName')))),
  );

  app.get('/docs/:docId/tables/:tableIdOrName/columns', (c) => {
    const table = store.getTable(c.req.param('docId'), c.req.param('tableIdOrName'));
    const limit = parseLimit(c.req.query('limit'), defaultPageSize, MAX_COLUMNS_PAGE_SIZE);
    const offset = decodeToken(c.req.query('pageToken'), 'offset');
    const { columns } = baseOf(table);
    const items = columns.slice(offset, offset + limit).map((col, i) => columnJson(c, table, col, offset + i));
    const href = `${tableHref(c, table)}/columns`;
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
    return c.json(columnJson(c, table, column, baseOf(table).columns.indexOf(column)));
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
      items.push(rowJson(c, table, row, index, useColumnNames));
      lastSeq = row.seq;
    }
    const href = `${tableHref(c, table)}/rows`;
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
    return c.json(rowJson(c, table, row, index, c.req.query('useColumnNames') === 'true'));
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
    stats: (): CodaSandboxStats => ({
      readCalls,
      writeCalls: writeLog.length,
      acceptedWrites: writeLog.filter((e) => e.status === 202).length,
      rowsPerUpsert: [...rowsPerUpsert],
      writeLog: [...writeLog],
    }),
    /**
     * The most write calls seen inside any window of `windowMs` (default 6000), counting every
     * write call, or only accepted ones with `acceptedOnly`.
     */
    peakWritesPerWindow(windowMs = CODA_RATE_WINDOW_MS, opts: { acceptedOnly?: boolean } = {}): number {
      const entries = opts.acceptedOnly ? writeLog.filter((e) => e.status === 202) : writeLog;
      return peakPerWindow(
        entries.map((e) => e.at),
        windowMs,
      );
    },
    /** Clears call counters and logs, and the rate-limit windows. */
    resetStats(): void {
      readCalls = 0;
      writeLog.length = 0;
      rowsPerUpsert.length = 0;
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
