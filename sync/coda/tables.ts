import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import * as schema from '../../schema/index.js';
import { mirrorTables } from '../mirrors.js';

// The Postgres tables coda-push can mirror into Coda, and how each column's value is written there.

/**
 * Every table whose changes reach Coda: the DrChrono mirrors (billing and labs included), the derived billing tables
 * (claim status per appointment and payer, the per-appointment reconciliation), the lab status per order and the lab
 * review queue, Deep Cura notes and the operational tables.
 */
export const codaSourceTables = {
  ...mirrorTables,
  claim_statuses: schema.claimStatuses,
  billing_reconciliations: schema.billingReconciliations,
  lab_order_statuses: schema.labOrderStatuses,
  lab_reviews: schema.labReviews,
  deepcura_notes: schema.deepcuraNotes,
  intake_checklists: schema.intakeChecklists,
  post_appointment_tasks: schema.postAppointmentTasks,
  prior_authorizations: schema.priorAuthorizations,
  questionnaire_responses: schema.questionnaireResponses,
  consent_records: schema.consentRecords,
  staff_roles: schema.staffRoles,
} as const satisfies Record<string, PgTable>;

export type CodaSourceTable = keyof typeof codaSourceTables;

/** How a Postgres value is written to Coda. */
export type ValueKind = 'text' | 'list' | 'integer' | 'numeric' | 'boolean' | 'date' | 'timestamptz' | 'jsonb';

export interface SourceColumn {
  readonly name: string;
  readonly kind: ValueKind;
}

export interface SourceTableInfo {
  readonly table: string;
  readonly columns: ReadonlyMap<string, SourceColumn>;
  /** The column whose non-null value marks a deleted row (`deleted_at`), when the table soft-deletes. */
  readonly softDeleteColumn: string | undefined;
  /**
   * The natural key written as Coda's key column by default: `drchrono_id`, `deepcura_note_id`, a derived table's own
   * key ({@link derivedTableKeys}), else `id`.
   */
  readonly defaultKey: string;
}

export function valueKind(sqlType: string): ValueKind {
  const t = sqlType.toLowerCase();
  if (t.endsWith('[]')) return 'list';
  if (t === 'boolean') return 'boolean';
  if (t === 'date') return 'date';
  if (t.startsWith('timestamp')) return 'timestamptz';
  if (t === 'jsonb' || t === 'json') return 'jsonb';
  if (/^(smallint|integer|bigint|serial|bigserial|smallserial)$/.test(t)) return 'integer';
  if (/^(numeric|decimal|real|double precision)/.test(t)) return 'numeric';
  return 'text';
}

/** Natural keys of the derived tables: stable across recomputes, so Coda upserts stay idempotent. */
const derivedTableKeys: Readonly<Record<string, string>> = {
  claim_statuses: 'claim_key',
  billing_reconciliations: 'appointment',
  lab_order_statuses: 'lab_order',
};

const infoCache = new Map<string, SourceTableInfo>();

/** Column names and value kinds of a source table, from its Drizzle declaration; undefined for an unknown table. */
export function sourceTableInfo(table: string): SourceTableInfo | undefined {
  const cached = infoCache.get(table);
  if (cached) return cached;
  if (!Object.hasOwn(codaSourceTables, table)) return undefined;
  const config = getTableConfig(codaSourceTables[table as CodaSourceTable]);
  const columns = new Map(
    config.columns.map((c) => [c.name, { name: c.name, kind: valueKind(c.getSQLType()) }] as const),
  );
  const info: SourceTableInfo = {
    table,
    columns,
    softDeleteColumn: columns.has('deleted_at') ? 'deleted_at' : undefined,
    defaultKey: columns.has('drchrono_id')
      ? 'drchrono_id'
      : columns.has('deepcura_note_id')
        ? 'deepcura_note_id'
        : (derivedTableKeys[table] ?? 'id'),
  };
  infoCache.set(table, info);
  return info;
}

/**
 * A Postgres value (as `to_jsonb` returns it) in the form Coda is given: ISO strings for dates (`YYYY-MM-DD`) and
 * times (UTC, ms), numbers for numeric columns, booleans, compact JSON text for jsonb, arrays (modifiers, diagnosis
 * pointers) as `a, b` text, and `""` for NULL (what Coda reads back for an empty cell).
 */
export function toCodaValue(value: unknown, kind: ValueKind): string | number | boolean {
  if (value === null || value === undefined) return '';
  switch (kind) {
    case 'boolean':
      return typeof value === 'boolean' ? value : value === 'true' || value === 't';
    case 'integer':
    case 'numeric': {
      const n = typeof value === 'number' ? value : Number(value);
      return Number.isFinite(n) ? n : String(value);
    }
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);
    case 'timestamptz': {
      const d = value instanceof Date ? value : new Date(String(value));
      return Number.isNaN(d.getTime()) ? String(value) : d.toISOString();
    }
    case 'jsonb':
      return JSON.stringify(value);
    case 'list':
      return Array.isArray(value) ? value.join(', ') : String(value);
    case 'text':
      return typeof value === 'string' ? value : String(value);
  }
}
