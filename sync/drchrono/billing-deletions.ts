import type { TransactionSql } from 'postgres';
import { inChangeTransaction } from '../db/change-transaction.js';
import { InvalidTimestampError, practiceLocalToUtc, utcToPracticeLocal } from '../time.js';
import { deleteRecords } from './apply.js';
import { listQuery } from './list-params.js';
import {
  CURSOR_OVERLAP_MS,
  lastCursor,
  logged,
  type ResourceSyncResult,
  type SyncDeps,
  type SyncKind,
  type SyncOptions,
} from './sync-log.js';
import { refreshPatients } from './sync.js';
import type { DrChronoBillingLog, DrChronoRecord, DrChronoResource } from './types.js';

// DrChrono deletes billing records without a trace in their lists, and sends delete webhooks only for line items,
// transactions and cash payments. Its two logs fill the gap and are read by `since` every cycle:
// - `/api/line_item_deletions` names each deleted line item (`billing_line_item_id`, `created_at` = deleted at);
// - `/api/patient_payment_log` records payment actions (`D` = delete) but, in DrChrono's schema, names no payment id,
//   only the patient: a delete entry re-reads that patient's payments and soft-deletes the ones no longer listed.
// The deep reconcile catches anything both miss (it soft-deletes what a full walk no longer returns). A full or deep
// run does not read the logs at all — its walk already leaves deleted records out — and only moves their cursors to
// its start, so the next incremental cycle reads from there.

/** The resource whose cursor a log starts from the first time (what was synced before the log was ever read). */
const logFallbackCursor: Record<DrChronoBillingLog, DrChronoResource> = {
  line_item_deletions: 'line_items',
  patient_payment_log: 'patient_payments',
};

const text = (v: unknown): string | null =>
  (typeof v === 'string' && v !== '') || typeof v === 'number' ? String(v) : null;

function deletedAt(entry: DrChronoRecord, timeZone: string): string | null {
  const local = entry['created_at'];
  if (typeof local !== 'string') return null;
  try {
    return practiceLocalToUtc(local, timeZone);
  } catch (error) {
    if (error instanceof InvalidTimestampError) return null;
    throw error;
  }
}

/**
 * Soft-deletes the logged line items, except one DrChrono changed after the deletion was logged (it came back: the
 * newer version stays).
 */
async function applyLineItemDeletions(
  tx: TransactionSql,
  entries: readonly { id: string; at: string | null }[],
): Promise<number> {
  if (entries.length === 0) return 0;
  const rows = await tx<{ drchrono_id: string }[]>`
    SELECT l.drchrono_id FROM line_items l
    JOIN jsonb_to_recordset(${JSON.stringify(entries)}::jsonb) AS e(id text, at timestamptz) ON e.id = l.drchrono_id
    WHERE l.deleted_at IS NULL AND (l.source_updated_at IS NULL OR e.at IS NULL OR l.source_updated_at <= e.at)`;
  const deleted = await deleteRecords(
    tx,
    'line_items',
    rows.map((r) => r.drchrono_id),
  );
  return deleted.length;
}

async function readLog(
  deps: SyncDeps,
  log: DrChronoBillingLog,
  kind: SyncKind,
  options: SyncOptions,
  onPage: (entries: DrChronoRecord[]) => Promise<number>,
): Promise<ResourceSyncResult & { cursor: string }> {
  const clock = deps.clock ?? Date.now;
  return logged(deps, log, kind, options.requestId, async () => {
    const runStarted = clock();
    const cursor = utcToPracticeLocal(new Date(runStarted - CURSOR_OVERLAP_MS), deps.timeZone);
    const none = {
      resource: log,
      kind,
      seen: 0,
      changed: 0,
      deleted: 0,
      apiCalls: 0,
      changedPatients: [],
      valueWarnings: 0,
    };
    if (kind !== 'incremental') return { ...none, cursor };
    const since =
      options.since ?? (await lastCursor(deps.sql, log)) ?? (await lastCursor(deps.sql, logFallbackCursor[log]));
    let seen = 0;
    let deleted = 0;
    let apiCalls = 0;
    for await (const page of deps.client.pages(log, listQuery(log, since ? { since } : {}), {
      priority: options.priority ?? 'sync',
      budgetKind: 'incremental',
      requestId: options.requestId,
    })) {
      apiCalls++;
      seen += page.results.length;
      deleted += await onPage(page.results);
    }
    return { ...none, seen, deleted, apiCalls, cursor };
  });
}

/** Reads both logs since their cursors and applies the deletions they report. */
export async function syncBillingDeletions(
  deps: SyncDeps,
  kind: SyncKind,
  options: SyncOptions = {},
): Promise<ResourceSyncResult[]> {
  const actor = options.actor ?? `sync:${kind}`;
  const lineItems = await readLog(deps, 'line_item_deletions', kind, options, (entries) =>
    inChangeTransaction(deps.sql, { actor, requestId: options.requestId }, (tx) =>
      applyLineItemDeletions(
        tx,
        entries.flatMap((e) => {
          const id = text(e['billing_line_item_id']);
          return id ? [{ id, at: deletedAt(e, deps.timeZone) }] : [];
        }),
      ),
    ),
  );
  const patients = new Set<string>();
  const payments = await readLog(deps, 'patient_payment_log', kind, options, async (entries) => {
    for (const e of entries) {
      const patient = text(e['patient']);
      if (text(e['action'])?.toUpperCase() === 'D' && patient) patients.add(patient);
    }
    return 0;
  });
  const refreshed = patients.size > 0 ? await refreshPatients(deps, [...patients], options, ['patient_payments']) : [];
  return [lineItems, payments, ...refreshed];
}
