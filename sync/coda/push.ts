import type { Sql, TransactionSql } from 'postgres';
import { LOG_EVENTS } from '../../contract/resources.js';
import type { ChangeEvent } from '../events/types.js';
import type { Logger } from '../observability/logger.js';
import { CODA_MAX_ROWS_PER_UPSERT, type CodaClient, type CodaRowInput } from './client.js';
import { CodaMutationTimeoutError, PushAbandonedError, RowsMissingError, UnknownTableError } from './errors.js';
import { tableMapping, type CodaMapping, type CodaTableMapping } from './mapping.js';
import { isProcessed, markProcessed } from './processed.js';
import { tableWriteLockFor, type TableWriteLock } from './table-write-lock.js';
import { sourceTableInfo, toCodaValue, type SourceTableInfo } from './tables.js';
import { dbSpan } from '../observability/spans.js';

// One change event → Coda. At-least-once in, idempotent out: the message id is recorded only after Coda applied
// every batch, and the upsert is keyed on the natural key, so a redelivery rewrites the same rows (DESIGN §7.4).
// Never older over newer: each write attempt reads its rows only once it is its table's single writer, and stays the
// writer until Coda reports the writes applied (see table-write-lock.ts); back-off waits happen outside the turn.

/** Keeps an upsert body well under Coda's few-MB request cap even for long notes. */
export const MAX_UPSERT_BODY_BYTES = 1_500_000;

export interface PushDeps {
  readonly sql: Sql;
  readonly client: CodaClient;
  readonly mapping: CodaMapping;
  readonly logger: Logger;
  /** How long to wait for Coda to report the mutations applied, in ms. @default 60000 */
  readonly mutationTimeoutMs?: number;
  /** First mutationStatus poll delay in ms; grows ×1.5 to 5 s. @default 500 */
  readonly pollIntervalMs?: number;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** One writer per table at a time. @default the process-wide lock of `sql` ({@link tableWriteLockFor}) */
  readonly writeLock?: TableWriteLock;
}

export interface PushContext {
  readonly messageId: string;
  readonly subscription: string;
  readonly requestId?: string | undefined;
  /** The envelope's publishTime; lets dedupe tell a redelivery from a new message reusing an id (see isProcessed). */
  readonly publishedAt?: Date | undefined;
  /** The oldest outbox commit of the event (relay attribute); change-event age runs from it, else from publishedAt. */
  readonly committedAt?: Date | undefined;
  /** Aborted when the caller stops waiting (client gone): a push still queued for its table's turn is not started. */
  readonly signal?: AbortSignal | undefined;
}

export type PushResult =
  | { readonly status: 'duplicate' }
  | {
      readonly status: 'pushed';
      readonly rows: number;
      readonly deleted: number;
      readonly batches: number;
      readonly requestIds: readonly string[];
    };

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** The rows of `ids` as `to_jsonb` values of the mapped columns (plus id and deleted_at). */
async function loadRows(
  sql: Sql | TransactionSql,
  info: SourceTableInfo,
  entry: CodaTableMapping,
  ids: readonly number[],
): Promise<Map<number, Record<string, unknown>>> {
  const wanted = new Set(['id', ...Object.keys(entry.columns)]);
  if (info.softDeleteColumn) wanted.add(info.softDeleteColumn);
  const list = [...wanted].map(quote).join(', ');
  const rows = await dbSpan(
    `load rows ${info.table}`,
    { operation: 'SELECT', table: info.table, attributes: { 'app.row_count': ids.length } },
    () =>
      sql.unsafe<{ row: Record<string, unknown> }[]>(
        `SELECT to_jsonb(s) AS row FROM (SELECT ${list} FROM ${quote(info.table)} WHERE id = ANY($1::bigint[])) s`,
        [ids as number[]],
        { prepare: true },
      ),
  );
  return new Map(rows.map((r) => [Number(r.row.id), r.row]));
}

/** A Postgres row (from `to_jsonb`) as Coda cells through the column map; `Deleted` from `deleted_at`. */
export function toCodaRow(row: Record<string, unknown>, info: SourceTableInfo, entry: CodaTableMapping): CodaRowInput {
  const cells = Object.entries(entry.columns).map(([column, id]) => ({
    column: id,
    value: toCodaValue(row[column], info.columns.get(column)?.kind ?? 'text'),
  }));
  const deleted =
    info.softDeleteColumn !== undefined &&
    row[info.softDeleteColumn] !== null &&
    row[info.softDeleteColumn] !== undefined;
  cells.push({ column: entry.deletedColumn, value: deleted });
  return { cells };
}

/** Splits rows into upsert calls of ≤ 500 rows and ≤ {@link MAX_UPSERT_BODY_BYTES}. */
export function batchRows(
  rows: readonly CodaRowInput[],
  maxRows = CODA_MAX_ROWS_PER_UPSERT,
  maxBytes = MAX_UPSERT_BODY_BYTES,
): CodaRowInput[][] {
  const batches: CodaRowInput[][] = [];
  let current: CodaRowInput[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = Buffer.byteLength(JSON.stringify(row)) + 1;
    if (current.length > 0 && (current.length >= maxRows || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/**
 * Pushes one change event to Coda: skips a message id already processed; waits for its table's write turn; then
 * loads the rows by id (so it sends what Postgres holds now, never what it held while waiting); upserts them in
 * batches keyed on the table's key column; waits until Coda reports every mutation applied; records the message id
 * and only then gives the turn to the next push of the table. Any throw leaves the message unrecorded, so the caller
 * nacks and Pub/Sub redelivers.
 * @throws {UnknownTableError} the table has no mapping (a 400: retrying cannot help)
 * @throws {RowsMissingError} some ids no longer exist in Postgres (poison: ends in the DLQ)
 * @throws {PushAbandonedError} `context.signal` fired before the table's turn came (the caller is gone)
 * @throws {CodaMutationTimeoutError} Coda accepted but did not apply in time
 * @throws {CodaError} Coda kept failing (CodaRateLimitedError, CodaHttpError, CodaNetworkError, …)
 */
export async function pushChangeEvent(deps: PushDeps, event: ChangeEvent, context: PushContext): Promise<PushResult> {
  const { sql, client, mapping, logger } = deps;
  const entry = tableMapping(mapping, event.table);
  const info = sourceTableInfo(event.table);
  if (!entry || !info) throw new UnknownTableError(event.table);
  const log = { messageId: context.messageId, table: event.table, requestId: context.requestId };
  const duplicate = (): PushResult => {
    logger.info({ ...log, outcome: 'duplicate' }, 'change event already pushed');
    return { status: 'duplicate' };
  };

  if (await isProcessed(sql, context.messageId, context.publishedAt)) return duplicate();
  const lock = deps.writeLock ?? tableWriteLockFor(sql);
  const sleep = deps.sleep ?? realSleep;
  // Each attempt is one write turn: read the rows, upsert, wait for Coda to apply. Between attempts (429, 5xx, no
  // answer) the turn is given back, so a storm does not stall the table, and the next attempt reads the rows again.
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await lock.run(event.table, (tx) => writeTurn(tx));
    } catch (error) {
      const waitMs = client.retryDelayMs(attempt, error);
      if (waitMs === undefined || context.signal?.aborted) throw error;
      logger.warn(
        {
          ...log,
          event: LOG_EVENTS.codaPushRetry,
          errorClass: error instanceof Error ? error.name : 'Error',
          attemptNumber: attempt + 1,
          waitMs: Math.round(waitMs),
        },
        "push attempt failed; retrying after the back-off, outside the table's write turn",
      );
      await sleep(waitMs);
    }
  }

  async function writeTurn(tx: TransactionSql): Promise<PushResult> {
    if (context.signal?.aborted) throw new PushAbandonedError(event.table);
    // A redelivery of this message may have been pushed while this one waited for the turn.
    if (await isProcessed(tx, context.messageId, context.publishedAt)) return duplicate();
    const ids = [...new Set(event.ids)];
    const rows = await loadRows(tx, info!, entry!, ids);
    const missing = ids.filter((id) => !rows.has(id));
    if (missing.length > 0) throw new RowsMissingError(event.table, missing);

    const codaRows = ids.map((id) => toCodaRow(rows.get(id) ?? {}, info!, entry!));
    const deleted = codaRows.filter((r) => r.cells.at(-1)?.value === true).length;
    const batches = batchRows(codaRows);
    const requestIds: string[] = [];
    for (const batch of batches) {
      requestIds.push(
        await client.upsertRows(mapping.docId, entry!.tableId, batch, [entry!.keyColumn], {
          requestId: context.requestId,
          retries: 0,
        }),
      );
    }
    logger.info(
      { ...log, rows: codaRows.length, batches: batches.length, codaRequestIds: requestIds },
      'Coda accepted upserts',
    );

    await confirmMutations(deps, requestIds, context.requestId);
    await markProcessed(tx, context.messageId, context.subscription);
    // The dashboard's change-event age (commit → applied in Coda) is read from this line's ageMs.
    const since = context.committedAt ?? context.publishedAt;
    logger.info(
      {
        ...log,
        event: LOG_EVENTS.changeEventPushed,
        outcome: 'pushed',
        rows: codaRows.length,
        deleted,
        batches: batches.length,
        ...(since && { ageMs: Math.max(0, Date.now() - since.getTime()) }),
      },
      'change event pushed',
    );
    return { status: 'pushed', rows: codaRows.length, deleted, batches: batches.length, requestIds };
  }
}

/**
 * Polls `mutationStatus` until every request id is completed.
 * @throws {CodaMutationTimeoutError} with the ids still pending when the deadline passes
 */
export async function confirmMutations(
  deps: PushDeps,
  requestIds: readonly string[],
  requestId?: string,
): Promise<void> {
  const clock = deps.clock ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const timeoutMs = deps.mutationTimeoutMs ?? 60_000;
  const deadline = clock() + timeoutMs;
  let pending = [...requestIds];
  let delay = deps.pollIntervalMs ?? 500;
  while (pending.length > 0) {
    const still: string[] = [];
    for (const id of pending) {
      const status = await deps.client.mutationStatus(id, { requestId });
      if (status.warning) deps.logger.warn({ codaRequestId: id, requestId }, 'Coda mutation completed with a warning');
      if (!status.completed) still.push(id);
    }
    pending = still;
    if (pending.length === 0) return;
    const left = deadline - clock();
    if (left <= 0) throw new CodaMutationTimeoutError(pending, timeoutMs);
    await sleep(Math.min(delay, left));
    delay = Math.min(5_000, Math.round(delay * 1.5));
  }
}
