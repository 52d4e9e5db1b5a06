import type { TransactionSql } from 'postgres';
import type { LabSeverity } from './classify.js';

// The clinical review queue (lab_reviews) and the per-order status (lab_order_statuses), recomputed from the lab
// mirrors inside the caller's transaction — the one that changed the results or the order — so the queue never lags
// the results. Only rows whose content changed are written, each with an outbox row: a replayed webhook or an
// unchanged re-read changes no result, so it reaches none of this and opens nothing.
//
// The review rules, per result:
// - critical or abnormal, live and not cancelled (X), no item yet → one open item (the partial unique index
//   lab_reviews_open_result_idx guarantees at most one open item per result);
// - an open item follows the result's severity, patient and ordering doctor; it closes (system actor, reason recorded)
//   when the result turns normal (`normal`), is cancelled (`cancelled`), or is deleted (`result_deleted`, or
//   `order_deleted` when its order went); an 'unknown' verdict leaves an open item open (nothing says it is fine);
// - an item a clinician acknowledged reopens only on a correction (status C) whose content differs from what was
//   reviewed (`correction`); an item the system closed reopens whenever the result needs review again
//   (`abnormal_again`).

const needsReview = (severity: string): boolean => severity === 'critical' || severity === 'abnormal';

interface ResultFacts {
  drchrono_id: string;
  lab_order: string | null;
  patient: string | null;
  doctor: string | null;
  severity: LabSeverity;
  severity_reason: string;
  status: string | null;
  result_deleted: boolean;
  order_deleted: boolean;
  digest: string;
}

interface ReviewRow {
  id: string;
  lab_result: string;
  closed_at: string | null;
  close_reason: string | null;
  result_digest: string;
}

/** What the recompute of one result decided (exported for tests and the README's table). */
export type ReviewAction =
  | { kind: 'none' }
  | { kind: 'open' }
  | { kind: 'follow' }
  | { kind: 'close'; reason: 'normal' | 'cancelled' | 'result_deleted' | 'order_deleted' }
  | { kind: 'reopen'; reason: 'correction' | 'abnormal_again' };

/** The rules above, for one result and its latest review item (if any). Pure. */
export function reviewAction(
  result: Pick<ResultFacts, 'severity' | 'status' | 'result_deleted' | 'order_deleted' | 'digest'>,
  review: Pick<ReviewRow, 'closed_at' | 'close_reason' | 'result_digest'> | undefined,
): ReviewAction {
  const gone = result.result_deleted || result.order_deleted;
  const cancelled = result.status === 'X';
  const needs = !gone && !cancelled && needsReview(result.severity);
  if (review && review.closed_at === null) {
    if (needs) return { kind: 'follow' };
    if (result.order_deleted) return { kind: 'close', reason: 'order_deleted' };
    if (result.result_deleted) return { kind: 'close', reason: 'result_deleted' };
    if (cancelled) return { kind: 'close', reason: 'cancelled' };
    if (result.severity === 'normal') return { kind: 'close', reason: 'normal' };
    return { kind: 'follow' };
  }
  if (!needs) return { kind: 'none' };
  if (!review) return { kind: 'open' };
  if (review.close_reason === 'acknowledged')
    return result.status === 'C' && result.digest !== review.result_digest
      ? { kind: 'reopen', reason: 'correction' }
      : { kind: 'none' };
  return { kind: 'reopen', reason: 'abnormal_again' };
}

/** Serialises recomputes of the same orders (sorted: concurrent transactions never deadlock on these locks). */
export async function lockLabOrders(tx: TransactionSql, keys: readonly string[]): Promise<void> {
  const sorted = [...new Set(keys)].sort();
  if (sorted.length === 0) return;
  await tx`SELECT pg_advisory_xact_lock(hashtext('labs:' || k)) FROM (SELECT k FROM unnest(${sorted}::text[]) AS k ORDER BY k) AS sorted`;
}

const REVIEW_FIELDS = `severity = $2, severity_reason = $3, patient = $4, doctor = $5, lab_order = $6`;

/** Recomputes the review items of `resultIds` (DrChrono ids); returns the number of lab_reviews rows written. */
export async function recomputeLabReviews(tx: TransactionSql, resultIds: readonly string[]): Promise<number> {
  const ids = [...new Set(resultIds)];
  if (ids.length === 0) return 0;
  const results = await tx<ResultFacts[]>`
    SELECT r.drchrono_id, r.lab_order, coalesce(r.patient, o.patient) AS patient, o.doctor, r.severity,
           r.severity_reason, r.status, r.deleted_at IS NOT NULL AS result_deleted,
           coalesce(o.deleted_at IS NOT NULL, false) AS order_deleted,
           md5(concat_ws('|', r.value, r.unit, r.normal_range, r.abnormal_status, r.is_abnormal::text, r.status)) AS digest
    FROM lab_results r LEFT JOIN lab_orders o ON o.drchrono_id = r.lab_order
    WHERE r.drchrono_id = ANY(${ids})`;
  const reviews = await tx<ReviewRow[]>`
    SELECT DISTINCT ON (lab_result) id, lab_result, closed_at, close_reason, result_digest FROM lab_reviews
    WHERE lab_result = ANY(${ids}) ORDER BY lab_result, (closed_at IS NULL) DESC, id DESC`;
  const reviewOf = new Map(reviews.map((r) => [r.lab_result, r]));
  let written = 0;
  for (const result of results) {
    const review = reviewOf.get(result.drchrono_id);
    const action = reviewAction(result, review);
    const common = [result.severity, result.severity_reason, result.patient, result.doctor, result.lab_order] as const;
    let rows: { id: string }[] = [];
    switch (action.kind) {
      case 'none':
        continue;
      case 'open':
        rows = await tx.unsafe(
          `INSERT INTO lab_reviews (lab_result, severity, severity_reason, patient, doctor, lab_order, result_status, result_digest)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (lab_result) WHERE closed_at IS NULL DO NOTHING RETURNING id`,
          [result.drchrono_id, ...common, result.status, result.digest],
        );
        break;
      case 'follow':
        // A severity 'unknown' result keeps its open item's last known severity (the CHECK allows only the two).
        rows = needsReview(result.severity)
          ? await tx.unsafe(
              `UPDATE lab_reviews SET ${REVIEW_FIELDS}, result_status = $7, result_digest = $8 WHERE id = $1
               AND (severity, severity_reason, patient, doctor, lab_order, result_status, result_digest)
                   IS DISTINCT FROM ($2, $3, $4, $5, $6, $7, $8) RETURNING id`,
              [review!.id, ...common, result.status, result.digest],
            )
          : [];
        break;
      case 'close':
        rows = await tx.unsafe(
          `UPDATE lab_reviews SET closed_at = now(), close_reason = $2 WHERE id = $1 AND closed_at IS NULL RETURNING id`,
          [review!.id, action.reason],
        );
        break;
      case 'reopen':
        rows = await tx.unsafe(
          `UPDATE lab_reviews SET ${REVIEW_FIELDS}, result_status = $7, result_digest = $8, opened_at = now(),
             closed_at = NULL, close_reason = NULL, acknowledged_at = NULL, acknowledged_by = NULL,
             reopened_count = reopened_count + 1, reopen_reason = $9
           WHERE id = $1 RETURNING id`,
          [review!.id, ...common, result.status, result.digest, action.reason],
        );
        break;
    }
    for (const row of rows)
      await tx`INSERT INTO outbox (table_name, row_id, op) VALUES ('lab_reviews', ${row.id}, 'upsert')`;
    written += rows.length;
  }
  return written;
}

const STATUS_COLUMNS = [
  ['patient', 'text'],
  ['chart_id', 'text'],
  ['ordered_at', 'timestamptz'],
  ['received_at', 'timestamptz'],
  ['status', 'text'],
  ['priority', 'text'],
  ['result_count', 'integer'],
  ['abnormal_count', 'integer'],
  ['critical_count', 'integer'],
  ['open_reviews', 'integer'],
  ['review_state', 'text'],
  ['deleted_at', 'timestamptz'],
] as const;
const statusNames = STATUS_COLUMNS.map(([c]) => c);

/** Upserts one lab_order_statuses row per stored order of $1, writing (and announcing) only rows that changed. */
const UPSERT_ORDER_STATUSES = `
WITH input AS (SELECT DISTINCT unnest($1::text[]) AS lab_order),
res AS (
  SELECT lab_order, count(*)::int AS n, count(*) FILTER (WHERE severity = 'abnormal')::int AS abnormal,
         count(*) FILTER (WHERE severity = 'critical')::int AS critical, max(specimen_received) AS received_at
  FROM lab_results WHERE lab_order IN (SELECT lab_order FROM input) AND deleted_at IS NULL GROUP BY lab_order
), rev AS (
  SELECT lab_order, count(*) FILTER (WHERE closed_at IS NULL)::int AS open, count(*)::int AS total
  FROM lab_reviews WHERE lab_order IN (SELECT lab_order FROM input) GROUP BY lab_order
), computed AS (
  SELECT o.drchrono_id AS lab_order, o.patient, p.chart_id, o.timestamp AS ordered_at, res.received_at, o.status,
         o.priority, coalesce(res.n, 0) AS result_count, coalesce(res.abnormal, 0) AS abnormal_count,
         coalesce(res.critical, 0) AS critical_count, coalesce(rev.open, 0) AS open_reviews,
         CASE WHEN coalesce(rev.open, 0) > 0 THEN 'open' WHEN coalesce(rev.total, 0) > 0 THEN 'reviewed' ELSE 'none' END
           AS review_state,
         o.deleted_at
  FROM lab_orders o JOIN input i ON i.lab_order = o.drchrono_id
  LEFT JOIN patients p ON p.drchrono_id = o.patient
  LEFT JOIN res ON res.lab_order = o.drchrono_id LEFT JOIN rev ON rev.lab_order = o.drchrono_id
), upserted AS (
  INSERT INTO lab_order_statuses AS t (lab_order, ${statusNames.join(', ')})
  SELECT lab_order, ${statusNames.join(', ')} FROM computed
  ON CONFLICT (lab_order) DO UPDATE SET ${statusNames.map((c) => `${c} = excluded.${c}`).join(', ')}
  WHERE (${statusNames.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${statusNames.map((c) => `excluded.${c}`).join(', ')})
  RETURNING t.id, t.deleted_at IS NOT NULL AS deleted
), announced AS (
  INSERT INTO outbox (table_name, row_id, op)
  SELECT 'lab_order_statuses', id, CASE WHEN deleted THEN 'delete' ELSE 'upsert' END FROM upserted
)
SELECT count(*)::int AS n FROM upserted`;

/** Recomputes lab_order_statuses of `orderIds` (DrChrono ids; orders not stored yet are skipped). */
export async function recomputeLabOrderStatuses(tx: TransactionSql, orderIds: readonly string[]): Promise<number> {
  const ids = [...new Set(orderIds)];
  if (ids.length === 0) return 0;
  const [row] = await tx.unsafe<{ n: number }[]>(UPSERT_ORDER_STATUSES, [ids], { prepare: true });
  return row?.n ?? 0;
}

/**
 * After lab rows of `table` changed (DrChrono ids): gives results their order's patient (a result stored before its
 * order arrives is linked now), recomputes the review items of the results concerned and the orders' statuses.
 */
export async function recomputeLabsFor(
  tx: TransactionSql,
  table: 'lab_orders' | 'lab_tests' | 'lab_results',
  drchronoIds: readonly string[],
): Promise<number> {
  if (drchronoIds.length === 0 || table === 'lab_tests') return 0;
  const ids = [...drchronoIds] as string[];
  if (table === 'lab_orders') {
    await lockLabOrders(tx, ids);
    await tx`
      WITH linked AS (
        UPDATE lab_results r SET patient = o.patient FROM lab_orders o
        WHERE o.drchrono_id = ANY(${ids}) AND r.lab_order = o.drchrono_id AND r.patient IS DISTINCT FROM o.patient
        RETURNING r.id, r.drchrono_id
      )
      INSERT INTO outbox (table_name, row_id, drchrono_id, op) SELECT 'lab_results', id, drchrono_id, 'upsert' FROM linked`;
    const results = await tx<{ drchrono_id: string }[]>`
      SELECT drchrono_id FROM lab_results WHERE lab_order = ANY(${ids})`;
    const written = await recomputeLabReviews(
      tx,
      results.map((r) => r.drchrono_id),
    );
    return written + (await recomputeLabOrderStatuses(tx, ids));
  }
  const orders = await tx<{ lab_order: string | null; drchrono_id: string }[]>`
    SELECT lab_order, drchrono_id FROM lab_results WHERE drchrono_id = ANY(${ids})`;
  // A result without an order locks on its own id.
  await lockLabOrders(
    tx,
    orders.map((o) => o.lab_order ?? `result:${o.drchrono_id}`),
  );
  const written = await recomputeLabReviews(tx, ids);
  return (
    written +
    (await recomputeLabOrderStatuses(
      tx,
      orders.map((o) => o.lab_order).filter((o): o is string => o !== null),
    ))
  );
}
