import type { TransactionSql } from 'postgres';
import type { PgValueWarnings } from '../db/pg-values.js';
import { recomputeBillingFor } from '../billing/recompute.js';
import { mirrors, type MirrorRows, type MirrorTable } from '../mirrors.js';
import { softDeleteBatch, upsertBatch, type ChangedRow } from '../upsert.js';
import { carriesInsurance, insuranceRanks, mapRecords, tableOf, type MapContext, type MappedRows } from './mappers.js';
import type { DrChronoRecord, DrChronoResource } from './types.js';

/** Called after appointments or clinical notes change, inside the same transaction (Deep Cura notes wait on them). */
export type AfterApplyHook = (
  tx: TransactionSql,
  changed: { resource: DrChronoResource; rows: ChangedRow[] },
) => Promise<void>;

export interface ApplyOptions extends MapContext {
  readonly afterApply?: AfterApplyHook;
  /** Counts values cleaned or nulled on the way to Postgres (sync/db/pg-values.ts); the caller reports them. */
  readonly warnings?: PgValueWarnings;
}

/**
 * Writes one page (or one webhook object) of a resource inside the caller's transaction: upserts through the
 * primitive, derives insurance rows from patients (soft-deleting coverage that disappeared; a patient served without
 * its verbose-only insurance objects leaves its coverage alone), stores clinical notes only once locked (`signee.locked_by`
 * or `locked`) and marks stored notes that were unlocked. Returns every changed row of the resource's own tables.
 */
export async function applyRecords(
  tx: TransactionSql,
  resource: DrChronoResource,
  records: readonly DrChronoRecord[],
  options: ApplyOptions,
): Promise<ChangedRow[]> {
  if (records.length === 0) return [];
  const mapped = mapRecords(resource, records, options);
  const changed: ChangedRow[] = [];

  if (resource === 'clinical_notes') {
    const notes = mapped.clinical_notes ?? [];
    const unlocked = notes.filter((r) => r.locked !== true).map((r) => r.drchrono_id);
    mapped.clinical_notes = notes.filter((r) => r.locked === true);
    changed.push(...(await markNotesUnlocked(tx, unlocked)));
  }
  if (resource === 'appointments') await fillNoteLocks(tx, records, mapped.appointments ?? []);
  changed.push(...(await upsertMapped(tx, mapped, tableOf[resource], options.warnings)));
  if (resource === 'clinical_notes') await copyNoteLocksToAppointments(tx, records);

  if (resource === 'patients') {
    const insurance = mapped.insurance_records ?? [];
    changed.push(...(await upsertBatch(tx, mirrors.insurance_records, insurance, options.warnings)));
    const present = new Set(insurance.map((r) => r.drchrono_id));
    const dropped = records
      .filter(carriesInsurance)
      .flatMap((p) => insuranceRanks.map((rank) => `${p.id}:${rank}`))
      .filter((id) => !present.has(id));
    changed.push(...(await softDeleteBatch(tx, mirrors.insurance_records, dropped)));
  }
  // Appointments and billing rows move claim statuses and reconciliations (other resources: a no-op).
  await recomputeBillingFor(
    tx,
    tableOf[resource],
    changed.map((r) => r.id),
    options.warnings,
  );
  if (options.afterApply && changed.length > 0) await options.afterApply(tx, { resource, rows: changed });
  return changed;
}

/** Upserts the mapped rows of one table (none: nothing). */
function upsertMapped<K extends MirrorTable>(
  tx: TransactionSql,
  mapped: MappedRows,
  table: K,
  warnings: PgValueWarnings | undefined,
): Promise<ChangedRow[]> {
  return upsertBatch(tx, mirrors[table], mapped[table] ?? [], warnings);
}

/**
 * `appointments.clinical_note_locked` is the verbose appointment's `clinical_note.locked`. The sync reads appointments
 * without `verbose` (25 instead of 250 per page), so where an object lacks `clinical_note` the column takes the stored
 * note's lock (null while no note is stored) instead of being blanked; {@link copyNoteLocksToAppointments} keeps it
 * current when the note changes later.
 */
async function fillNoteLocks(
  tx: TransactionSql,
  records: readonly DrChronoRecord[],
  rows: MirrorRows['appointments'][],
): Promise<void> {
  const bare = new Set(records.filter((r) => !('clinical_note' in r)).map((r) => String(r.id)));
  if (bare.size === 0) return;
  const notes = await tx<{ appointment: string; locked: boolean }[]>`
    SELECT appointment, bool_or(locked) AS locked FROM clinical_notes
    WHERE appointment = ANY(${[...bare]}) AND deleted_at IS NULL GROUP BY appointment`;
  const lockOf = new Map(notes.map((n) => [n.appointment, n.locked]));
  for (const row of rows) if (bare.has(row.drchrono_id)) row.clinical_note_locked = lockOf.get(row.drchrono_id) ?? null;
}

/**
 * Sets the appointments' `clinical_note_locked` to their stored notes' lock after notes changed (with an outbox row
 * where it changed): the same value {@link fillNoteLocks} gives, so re-reading either side changes nothing.
 */
async function copyNoteLocksToAppointments(tx: TransactionSql, notes: readonly DrChronoRecord[]): Promise<void> {
  const appointmentIds = [
    ...new Set(notes.map((n) => text(n['appointment'])).filter((id): id is string => id !== null)),
  ];
  if (appointmentIds.length === 0) return;
  await tx`
    WITH note AS (
      SELECT appointment, bool_or(locked) AS locked FROM clinical_notes
      WHERE appointment = ANY(${appointmentIds}) AND deleted_at IS NULL GROUP BY appointment
    ), marked AS (
      UPDATE appointments a SET clinical_note_locked = note.locked FROM note
      WHERE a.drchrono_id = note.appointment AND a.clinical_note_locked IS DISTINCT FROM note.locked
      RETURNING a.id, a.drchrono_id
    )
    INSERT INTO outbox (table_name, row_id, drchrono_id, op) SELECT 'appointments', id, drchrono_id, 'upsert' FROM marked`;
}

const text = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));

/** A stored note DrChrono unlocked again: keep its signed content, mark it unlocked, announce the change. */
async function markNotesUnlocked(tx: TransactionSql, drchronoIds: readonly string[]): Promise<ChangedRow[]> {
  if (drchronoIds.length === 0) return [];
  const rows = await tx<{ id: string; drchrono_id: string }[]>`
    WITH marked AS (
      UPDATE clinical_notes SET locked = false, unlocked_at = now()
      WHERE drchrono_id = ANY(${drchronoIds as string[]}) AND locked
      RETURNING id, drchrono_id
    ), announced AS (
      INSERT INTO outbox (table_name, row_id, drchrono_id, op) SELECT 'clinical_notes', id, drchrono_id, 'upsert' FROM marked
    )
    SELECT id, drchrono_id FROM marked`;
  return rows.map((r) => ({ id: Number(r.id), drchronoId: r.drchrono_id, op: 'update' as const }));
}

/**
 * Soft-deletes DrChrono-deleted objects of a resource (e.g. APPOINTMENT_DELETE, LINE_ITEM_DELETE) in the caller's
 * transaction, and recomputes the billing figures the deleted rows counted in.
 */
export async function deleteRecords(
  tx: TransactionSql,
  resource: DrChronoResource,
  drchronoIds: readonly string[],
): Promise<ChangedRow[]> {
  const deleted = await softDeleteBatch(tx, mirrors[tableOf[resource]], drchronoIds);
  await recomputeBillingFor(
    tx,
    tableOf[resource],
    deleted.map((r) => r.id),
  );
  return deleted;
}
