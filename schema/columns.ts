import { sql } from 'drizzle-orm';
import { bigserial, jsonb, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * `timestamptz` column; every time in the platform is zone-aware. Generic in the name so the column's type keeps its
 * literal SQL name, which rows typed from the table (sync/upsert.ts `MirrorRowOf`) are keyed by.
 */
export const timestamptz = <TName extends string>(name: TName) =>
  timestamp(name, { withTimezone: true, mode: 'string' });

/** Columns every audited table carries: surrogate key and trigger-maintained times. */
export const auditedColumns = () => ({
  id: bigserial('id', { mode: 'number' }).primaryKey(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
  updatedAt: timestamptz('updated_at').notNull().defaultNow(),
});

/**
 * Columns of every DrChrono mirror table. `drchrono_id` is text because DrChrono documents appointment ids as
 * "not always" numeric; it is the upsert key. `source_updated_at` is DrChrono's `updated_at`, used to refuse
 * older versions; `deleted_at` marks rows DrChrono deleted or stopped returning.
 */
export const mirrorColumns = () => ({
  ...auditedColumns(),
  drchronoId: text('drchrono_id').notNull().unique(),
  raw: jsonb('raw').notNull(),
  sourceUpdatedAt: timestamptz('source_updated_at'),
  deletedAt: timestamptz('deleted_at'),
});

/** `CHECK (col IN (...))` for a closed set of values; NULL stays allowed unless the column is NOT NULL. */
export const oneOf = (column: string, values: readonly string[]) =>
  sql.raw(`${column} IN (${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(', ')})`);
