import type { TransactionSql } from 'postgres';
import type { PgValueWarnings } from '../db/pg-values.js';
import { mirrors } from '../mirrors.js';
import { softDeleteBatch, upsertBatch, type ChangedRow } from '../upsert.js';
import { insuranceRanks, mapRecords, tableOf, type MapContext } from './mappers.js';
import type { DrChronoRecord, DrChronoResource } from './types.js';

/** Called after appointments or clinical notes change, inside the same transaction (Deep Cura notes wait on them). */
export type AfterApplyHook = (tx: TransactionSql, changed: { resource: DrChronoResource; rows: ChangedRow[] }) => Promise<void>;

export interface ApplyOptions extends MapContext {
  readonly afterApply?: AfterApplyHook;
  /** Counts values cleaned or nulled on the way to Postgres (sync/db/pg-values.ts); the caller reports them. */
  readonly warnings?: PgValueWarnings;
}

/**
 * Writes one page (or one webhook object) of a resource inside the caller's transaction: upserts through the
 * primitive, derives insurance rows from patients (soft-deleting coverage that disappeared), stores clinical notes
 * only once locked and marks stored notes that were unlocked. Returns every changed row.
 */
export async function applyRecords(tx: TransactionSql, resource: DrChronoResource, records: readonly DrChronoRecord[], options: ApplyOptions): Promise<ChangedRow[]> {
  if (records.length === 0) return [];
  const mapped = mapRecords(resource, records, options);
  const table = tableOf[resource];
  let rows = mapped[table] ?? [];
  const changed: ChangedRow[] = [];

  if (resource === 'clinical_notes') {
    const unlocked = rows.filter((r) => r['locked'] !== true).map((r) => r.drchrono_id);
    rows = rows.filter((r) => r['locked'] === true);
    changed.push(...(await markNotesUnlocked(tx, unlocked)));
  }
  changed.push(...(await upsertBatch(tx, mirrors[table], rows, options.warnings)));

  if (resource === 'patients') {
    const insurance = mapped.insurance_records ?? [];
    changed.push(...(await upsertBatch(tx, mirrors.insurance_records, insurance, options.warnings)));
    const present = new Set(insurance.map((r) => r.drchrono_id));
    const dropped = records.flatMap((p) => insuranceRanks.map((rank) => `${p.id}:${rank}`)).filter((id) => !present.has(id));
    changed.push(...(await softDeleteBatch(tx, mirrors.insurance_records, dropped)));
  }
  if (options.afterApply && changed.length > 0) await options.afterApply(tx, { resource, rows: changed });
  return changed;
}

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

/** Soft-deletes DrChrono-deleted objects of a resource (e.g. APPOINTMENT_DELETE), in the caller's transaction. */
export function deleteRecords(tx: TransactionSql, resource: DrChronoResource, drchronoIds: readonly string[]): Promise<ChangedRow[]> {
  return softDeleteBatch(tx, mirrors[tableOf[resource]], drchronoIds);
}
