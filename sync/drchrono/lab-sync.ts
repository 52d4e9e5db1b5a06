import type { Sql, TransactionSql } from 'postgres';
import { LOG_EVENTS } from '../../contract/resources.js';
import { inChangeTransaction } from '../db/change-transaction.js';
import { PgValueWarnings } from '../db/pg-values.js';
import { recomputeLabsFor } from '../labs/recompute.js';
import { mirrors } from '../mirrors.js';
import type { Logger } from '../observability/logger.js';
import { utcToPracticeLocal } from '../time.js';
import { softDeleteBatch, upsertBatch, type ChangedRow } from '../upsert.js';
import { listQuery } from './list-params.js';
import { labTableOf, mapLabRecords, type MapContext } from './mappers.js';
import {
  CURSOR_OVERLAP_MS,
  lastCursor,
  logged,
  type ResourceSyncResult,
  type SyncDeps,
  type SyncKind,
  type SyncOptions,
} from './sync-log.js';
import type { CallPriority, DrChronoLabResource, DrChronoRecord } from './types.js';

// Lab orders, tests and results. DrChrono lists only orders by `since` (and announces only orders by webhook); tests
// and results have no `since`, no `updated_at` and no patient filter, and are reached through their order
// (`?order=`). So:
// - incremental: poll `lab_orders?since=`, then re-read the tests and results of every order that was listed or that a
//   LAB_ORDER_* webhook queued (lab_order_refresh, drained first, on the webhook share of the call budget): 1 call
//   for the orders plus 2 per changed order (one page each: an order has a handful of tests and results). Changes
//   are found by content (the upsert compares every column); tests and results an order no longer lists are
//   soft-deleted.
// - full / deep: walk the three lists whole (250 per page), not per order: an order has ~3 tests and ~10 results, so
//   two calls per order would cost ~30x the calls of walking the lists. A result listed before its order is stored
//   as sent and gets its patient when the order arrives. Deep also soft-deletes what DrChrono no longer lists.

/** Orders re-read per incremental cycle at most; the rest wait in lab_order_refresh for the next cycle. */
export const LAB_ORDER_REFRESHES_PER_CYCLE = 100;
/** Default of LAB_CRITICAL_REVIEW_MINUTES. */
export const DEFAULT_CRITICAL_REVIEW_MINUTES = 60;

export interface LabApplyOptions extends MapContext {
  readonly warnings?: PgValueWarnings;
}

/**
 * Writes lab objects of one resource inside the caller's transaction: results take their order's patient, changed
 * rows recompute the review queue and order statuses (sync/labs/recompute.ts). Returns the changed rows.
 */
export async function applyLabRecords(
  tx: TransactionSql,
  resource: DrChronoLabResource,
  records: readonly DrChronoRecord[],
  options: LabApplyOptions,
): Promise<ChangedRow[]> {
  if (records.length === 0) return [];
  let changed: ChangedRow[];
  if (resource === 'lab_results') {
    const rows = mapLabRecords('lab_results', records, options);
    const orderIds = [...new Set(rows.map((r) => r.lab_order).filter((o): o is string => typeof o === 'string'))];
    const patients = await tx<{ drchrono_id: string; patient: string | null }[]>`
      SELECT drchrono_id, patient FROM lab_orders WHERE drchrono_id = ANY(${orderIds})`;
    const patientOf = new Map(patients.map((p) => [p.drchrono_id, p.patient]));
    for (const row of rows)
      row.patient = typeof row.lab_order === 'string' ? (patientOf.get(row.lab_order) ?? null) : null;
    changed = await upsertBatch(tx, mirrors.lab_results, rows, options.warnings);
  } else if (resource === 'lab_orders') {
    changed = await upsertBatch(
      tx,
      mirrors.lab_orders,
      mapLabRecords('lab_orders', records, options),
      options.warnings,
    );
  } else {
    changed = await upsertBatch(tx, mirrors.lab_tests, mapLabRecords('lab_tests', records, options), options.warnings);
  }
  await recomputeLabsFor(
    tx,
    labTableOf[resource],
    changed.map((r) => r.drchronoId),
  );
  return changed;
}

/**
 * Soft-deletes lab objects DrChrono deleted or stopped listing. An order takes its tests and results with it (and
 * leaves the refresh queue); a test takes its results. Their open review items close (`order_deleted`,
 * `result_deleted`) in the same transaction.
 */
export async function deleteLabRecords(
  tx: TransactionSql,
  resource: DrChronoLabResource,
  drchronoIds: readonly string[],
): Promise<ChangedRow[]> {
  if (drchronoIds.length === 0) return [];
  const ids = [...drchronoIds] as string[];
  const deleted = await softDeleteBatch(tx, mirrors[labTableOf[resource]], ids);
  if (resource === 'lab_orders') {
    const tests = await tx<{ drchrono_id: string }[]>`
      SELECT drchrono_id FROM lab_tests WHERE lab_order = ANY(${ids}) AND deleted_at IS NULL`;
    const results = await tx<{ drchrono_id: string }[]>`
      SELECT drchrono_id FROM lab_results WHERE lab_order = ANY(${ids}) AND deleted_at IS NULL`;
    deleted.push(
      ...(await softDeleteBatch(
        tx,
        mirrors.lab_tests,
        tests.map((t) => t.drchrono_id),
      )),
      ...(await softDeleteBatch(
        tx,
        mirrors.lab_results,
        results.map((r) => r.drchrono_id),
      )),
    );
    await tx`DELETE FROM lab_order_refresh WHERE lab_order = ANY(${ids})`;
    // Every order given, deleted now or before: a re-delivered delete still closes what is open.
    await recomputeLabsFor(tx, 'lab_orders', ids);
    return deleted;
  }
  if (resource === 'lab_tests') {
    const results = await tx<{ drchrono_id: string }[]>`
      SELECT drchrono_id FROM lab_results WHERE lab_test = ANY(${ids}) AND deleted_at IS NULL`;
    const gone = await softDeleteBatch(
      tx,
      mirrors.lab_results,
      results.map((r) => r.drchrono_id),
    );
    deleted.push(...gone);
    await recomputeLabsFor(
      tx,
      'lab_results',
      gone.map((r) => r.drchronoId),
    );
    return deleted;
  }
  await recomputeLabsFor(
    tx,
    'lab_results',
    deleted.map((r) => r.drchronoId),
  );
  return deleted;
}

/** Asks the next incremental cycle to re-read an order's tests and results (a webhook may not call DrChrono). */
export async function requestLabOrderRefresh(tx: TransactionSql, orderIds: readonly string[]): Promise<void> {
  if (orderIds.length === 0) return;
  await tx`INSERT INTO lab_order_refresh (lab_order) SELECT unnest(${orderIds as string[]}::text[])
           ON CONFLICT (lab_order) DO UPDATE SET requested_at = now()`;
}

interface Counts {
  seen: number;
  changed: number;
  deleted: number;
  apiCalls: number;
  warnings: PgValueWarnings;
}
const counts = (): Counts => ({ seen: 0, changed: 0, deleted: 0, apiCalls: 0, warnings: new PgValueWarnings() });

/** Reads every page of one lab list and applies each in its own transaction; returns the ids listed. */
async function readPages(
  deps: SyncDeps,
  resource: DrChronoLabResource,
  filters: Record<string, string>,
  tally: Counts,
  options: SyncOptions & { actor: string; priority: CallPriority },
): Promise<string[]> {
  const listed: string[] = [];
  for await (const page of deps.client.pages(resource, listQuery(resource, filters), {
    priority: options.priority,
    budgetKind: 'labs',
    requestId: options.requestId,
  })) {
    tally.apiCalls++;
    tally.seen += page.results.length;
    for (const r of page.results) listed.push(String(r.id));
    let pageWarnings = new PgValueWarnings();
    const rows = await inChangeTransaction(deps.sql, { actor: options.actor, requestId: options.requestId }, (tx) => {
      pageWarnings = new PgValueWarnings(); // a retried transaction counts afresh
      return applyLabRecords(tx, resource, page.results, { timeZone: deps.timeZone, warnings: pageWarnings });
    });
    tally.warnings.merge(pageWarnings);
    tally.changed += rows.length;
    deps.onProgress?.({ resource, seen: tally.seen, changed: tally.changed });
  }
  return listed;
}

const result = (
  resource: DrChronoLabResource,
  kind: SyncKind,
  tally: Counts,
  cursor: string | null = null,
): ResourceSyncResult & { cursor: string | null } => ({
  resource,
  kind,
  seen: tally.seen,
  changed: tally.changed,
  deleted: tally.deleted,
  apiCalls: tally.apiCalls,
  cursor,
  changedPatients: [],
  valueWarnings: tally.warnings.total,
});

/** Walks one lab list whole; `deep_reconcile` then soft-deletes the rows it did not list. */
async function walkLabList(
  deps: SyncDeps,
  resource: DrChronoLabResource,
  kind: SyncKind,
  options: SyncOptions,
): Promise<ResourceSyncResult> {
  const clock = deps.clock ?? Date.now;
  return logged(deps, resource, kind, options.requestId, async () => {
    const runStarted = new Date(clock());
    const walkStarted = await deps.sql<{ now: string }[]>`SELECT now()::text AS now`;
    const tally = counts();
    const actor = options.actor ?? `sync:${kind}`;
    const listed = new Set(
      // A whole-list walk spends the budget's background share, like the other full and deep walks.
      await readPages(deps, resource, {}, tally, { ...options, actor, priority: options.priority ?? 'background' }),
    );
    tally.warnings.log(deps.logger, { resource, kind });
    if (kind === 'deep_reconcile') {
      const live = await deps.sql.unsafe<{ drchrono_id: string }[]>(
        `SELECT drchrono_id FROM ${labTableOf[resource]} WHERE deleted_at IS NULL`,
      );
      const missing = live.map((r) => r.drchrono_id).filter((id) => !listed.has(id));
      for (let i = 0; i < missing.length; i += 500) {
        const rows = await inChangeTransaction(
          deps.sql,
          { actor: 'sync:deep_reconcile', requestId: options.requestId },
          (tx) => deleteLabRecords(tx, resource, missing.slice(i, i + 500)),
        );
        // Includes the tests and results a deleted order or test took with it.
        tally.deleted += rows.length;
      }
    }
    if (resource !== 'lab_orders') return result(resource, kind, tally);
    // Orders read whole: re-reads a webhook asked for before the walk began are done by the walks of the children.
    await deps.sql`DELETE FROM lab_order_refresh WHERE requested_at <= ${walkStarted[0]!.now}::timestamptz`;
    return result(
      resource,
      kind,
      tally,
      utcToPracticeLocal(new Date(runStarted.getTime() - CURSOR_OVERLAP_MS), deps.timeZone),
    );
  });
}

/** Re-reads one order's tests and results; soft-deletes the ones it no longer lists; takes it off the queue. */
async function refreshOrder(
  deps: SyncDeps,
  orderId: string,
  tally: Counts,
  options: SyncOptions & { actor: string; priority: CallPriority },
): Promise<void> {
  const [started] = await deps.sql<{ now: string }[]>`SELECT now()::text AS now`;
  const tests = await readPages(deps, 'lab_tests', { order: orderId }, tally, options);
  const results = await readPages(deps, 'lab_results', { order: orderId }, tally, options);
  const gone = await inChangeTransaction(
    deps.sql,
    { actor: options.actor, requestId: options.requestId },
    async (tx) => {
      const staleTests = await tx<{ drchrono_id: string }[]>`
      SELECT drchrono_id FROM lab_tests WHERE lab_order = ${orderId} AND deleted_at IS NULL
        AND NOT (drchrono_id = ANY(${tests}))`;
      const staleResults = await tx<{ drchrono_id: string }[]>`
      SELECT drchrono_id FROM lab_results WHERE lab_order = ${orderId} AND deleted_at IS NULL
        AND NOT (drchrono_id = ANY(${results}))`;
      const rows = [
        ...(await deleteLabRecords(
          tx,
          'lab_tests',
          staleTests.map((t) => t.drchrono_id),
        )),
        ...(await deleteLabRecords(
          tx,
          'lab_results',
          staleResults.map((r) => r.drchrono_id),
        )),
      ];
      // A webhook that arrived while we were reading keeps its request: the next cycle reads the order again.
      await tx`DELETE FROM lab_order_refresh WHERE lab_order = ${orderId} AND requested_at <= ${started!.now}::timestamptz`;
      return rows;
    },
  );
  tally.deleted += gone.length;
}

/** Incremental: orders by `since`, then the queued and listed orders' tests and results. */
async function incrementalLabs(deps: SyncDeps, options: SyncOptions): Promise<ResourceSyncResult[]> {
  const clock = deps.clock ?? Date.now;
  const listed: string[] = [];
  const orders = await logged(deps, 'lab_orders', 'incremental', options.requestId, async () => {
    const runStarted = new Date(clock());
    const since = options.since ?? (await lastCursor(deps.sql, 'lab_orders'));
    const tally = counts();
    listed.push(
      ...(await readPages(deps, 'lab_orders', since ? { since } : {}, tally, {
        ...options,
        actor: options.actor ?? 'sync:incremental',
        priority: options.priority ?? 'sync',
      })),
    );
    tally.warnings.log(deps.logger, { resource: 'lab_orders', kind: 'incremental' });
    return result(
      'lab_orders',
      'incremental',
      tally,
      utcToPracticeLocal(new Date(runStarted.getTime() - CURSOR_OVERLAP_MS), deps.timeZone),
    );
  });
  const children = await logged(deps, 'lab_results', 'incremental', options.requestId, async () => {
    const tally = counts();
    const queued = (
      await deps.sql<{ lab_order: string }[]>`
        SELECT lab_order FROM lab_order_refresh ORDER BY requested_at, lab_order LIMIT ${LAB_ORDER_REFRESHES_PER_CYCLE}`
    ).map((r) => r.lab_order);
    const fromWebhooks = new Set(queued);
    const todo = [...new Set([...queued, ...listed])];
    const now = todo.slice(0, LAB_ORDER_REFRESHES_PER_CYCLE);
    // Over the cap: the rest wait in the queue (the `since` cursor moves on, so they must not be forgotten).
    const later = todo.slice(LAB_ORDER_REFRESHES_PER_CYCLE);
    if (later.length > 0)
      await inChangeTransaction(deps.sql, { actor: 'sync:incremental', requestId: options.requestId }, (tx) =>
        requestLabOrderRefresh(tx, later),
      );
    for (const orderId of now)
      await refreshOrder(deps, orderId, tally, {
        ...options,
        actor: options.actor ?? 'sync:incremental',
        // Work a webhook asked for draws on the webhook share of the hourly budget.
        priority: fromWebhooks.has(orderId) ? 'webhook' : (options.priority ?? 'sync'),
      });
    tally.warnings.log(deps.logger, { resource: 'lab_results', kind: 'incremental' });
    return result('lab_results', 'incremental', tally);
  });
  return [orders, children];
}

/**
 * `POST /sync/labs`, `platform sync labs`, part of `syncAll`: lab orders, tests and results (see the top of this
 * file for how each kind reads them), then the overdue check on critical review items. An incremental run with no
 * lab_orders cursor yet (first run) walks the lists like `full`.
 */
export async function syncLabs(
  deps: SyncDeps,
  kind: SyncKind,
  options: SyncOptions = {},
): Promise<ResourceSyncResult[]> {
  const results: ResourceSyncResult[] = [];
  // Without a cursor an incremental run would list every order and re-read each (2 calls per order): walk instead.
  const walkFirst = kind === 'incremental' && !options.since && !(await lastCursor(deps.sql, 'lab_orders'));
  if (kind === 'incremental' && !walkFirst) {
    results.push(...(await incrementalLabs(deps, options)));
  } else {
    for (const resource of ['lab_orders', 'lab_tests', 'lab_results'] as const)
      results.push(await walkLabList(deps, resource, walkFirst ? 'full' : kind, options));
  }
  await checkOverdueCriticalReviews(deps.sql, deps.logger, deps.labCriticalReviewMinutes);
  return results;
}

/**
 * Logs (ERROR, `event: lab.critical_review_overdue`) when critical review items have been open longer than
 * `minutes`: the log-based metric behind the "critical lab result not reviewed" alert counts these lines. Review
 * ids and counts only — never a value, patient or comment. Returns the overdue count.
 */
export async function checkOverdueCriticalReviews(
  sql: Sql,
  logger: Logger,
  minutes: number = DEFAULT_CRITICAL_REVIEW_MINUTES,
): Promise<number> {
  const [row] = await sql<{ n: number; ids: string[] | null; oldest: number | null }[]>`
    SELECT count(*)::int AS n, (array_agg(id::text ORDER BY opened_at))[1:50] AS ids,
           floor(extract(epoch FROM now() - min(opened_at)) / 60)::int AS oldest
    FROM lab_reviews
    WHERE severity = 'critical' AND closed_at IS NULL AND opened_at < now() - make_interval(mins => ${minutes})`;
  const overdue = row?.n ?? 0;
  if (overdue > 0)
    logger.error(
      {
        event: LOG_EVENTS.labCriticalReviewOverdue,
        overdue,
        // The dashboard's "open critical lab reviews" chart (constructs/log-metrics.ts) reads this field.
        openCriticalReviews: overdue,
        reviewIds: row!.ids ?? [],
        oldestMinutes: row!.oldest,
        thresholdMinutes: minutes,
      },
      'critical lab results not reviewed in time',
    );
  return overdue;
}
