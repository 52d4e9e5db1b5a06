import { getTableConfig, PgDialect, type PgColumn, type PgTable } from 'drizzle-orm/pg-core';
import type { Sql, TransactionSql } from 'postgres';
import {
  allowedValuesOf,
  pgRow,
  type PgColumnRule,
  type PgValueWarnings,
  type UnstorableValue,
} from './db/pg-values.js';
import { inChangeTransaction, type ChangeContext } from './db/change-transaction.js';
import { dbSpan } from './observability/spans.js';

/** A row to upsert, keyed by SQL column name (`drchrono_id`, `first_name`, `raw`, `source_updated_at`, …), untyped. */
export type MirrorRow = Record<string, unknown> & { drchrono_id: string };

/** Columns the upsert manages itself; a row never carries them. */
type ManagedColumn = 'id' | 'created_at' | 'updated_at' | 'deleted_at';
type ColumnsOf<T extends PgTable> = T['_']['columns'];
type SqlNameOf<T extends PgTable, K> = K extends keyof ColumnsOf<T> ? ColumnsOf<T>[K]['_']['name'] : never;

/**
 * A row to upsert into mirror table `T`, typed from its Drizzle declaration: keyed by SQL column name (the name
 * DrChrono, `jsonb_to_recordset`, change_log and Coda use), each value the column's insert type, optional where
 * the column may be omitted. A mapper may put an {@link UnstorableValue} in any column but `drchrono_id`; the
 * normaliser stores null and counts it. A misspelt column or a value of the wrong type fails `tsc`.
 */
export type MirrorRowOf<T extends PgTable> = {
  [K in keyof T['$inferInsert'] as Exclude<SqlNameOf<T, K>, ManagedColumn>]: SqlNameOf<T, K> extends 'drchrono_id'
    ? T['$inferInsert'][K]
    : T['$inferInsert'][K] | UnstorableValue;
};

/** What an upsert or soft delete really changed; only these ids get change_log and outbox rows. */
export interface ChangedRow {
  readonly id: number;
  readonly drchronoId: string;
  readonly op: 'insert' | 'update' | 'delete';
}

/** Upsert shape of one mirror table, derived once from its Drizzle declaration. */
export interface MirrorSpec<T extends PgTable = PgTable> {
  /** The Drizzle table it was derived from; its type gives the spec's row type ({@link MirrorRowOf}). */
  readonly source: T;
  readonly table: string;
  /**
   * Columns the caller supplies (everything except id, created_at, updated_at, deleted_at), with their SQL type
   * and the values a `CHECK (col IN (…))` allows: the rules every value passes through (sync/db/pg-values.ts).
   */
  readonly columns: readonly PgColumnRule[];
  /** Columns holding another mirror's drchrono_id. */
  readonly parents: readonly { readonly column: string; readonly table: string }[];
  readonly upsertSql: string;
}

/**
 * Thrown before any SQL runs when a batch does not fit the table; fix the mapper that built the rows. Typed callers
 * cannot build such a row ({@link MirrorRowOf}); this guards rows that reach the upsert past the types (a cast, a
 * row widened to a variable of another type, JSON).
 */
export class InvalidMirrorRowError extends Error {
  override name = 'InvalidMirrorRowError';
}

const MANAGED: ReadonlySet<string> = new Set<ManagedColumn>(['id', 'created_at', 'updated_at', 'deleted_at']);
const dialect = new PgDialect();
const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

export function mirrorSpec<T extends PgTable>(table: T): MirrorSpec<T> {
  const config = getTableConfig(table);
  const names = new Set(config.columns.map((c) => c.name));
  for (const required of ['drchrono_id', 'raw', 'source_updated_at', 'deleted_at']) {
    if (!names.has(required)) throw new Error(`${config.name} is not a mirror table: it has no ${required} column`);
  }
  const allowed = new Map<string, string[]>();
  for (const check of config.checks) {
    const list = allowedValuesOf(dialect.sqlToQuery(check.value).sql);
    if (list) allowed.set(list.column, list.values);
  }
  const columns = config.columns
    .filter((c) => !MANAGED.has(c.name))
    .map((c) => ({ name: c.name, type: c.getSQLType(), fallback: literalDefault(c), allowed: allowed.get(c.name) }));
  const parents = config.foreignKeys.flatMap((fk) => {
    const ref = fk.reference();
    const [column] = ref.columns;
    const [foreign] = ref.foreignColumns;
    return column && foreign?.name === 'drchrono_id'
      ? [{ column: column.name, table: getTableConfig(ref.foreignTable).name }]
      : [];
  });
  const t = quote(config.name);
  const list = columns.map((c) => quote(c.name)).join(', ');
  const recordset = columns.map((c) => `${quote(c.name)} ${c.type}`).join(', ');
  // Compare every caller-supplied column plus deleted_at (a row DrChrono returns again is no longer deleted).
  const compared = [...columns.map((c) => quote(c.name)), '"deleted_at"'];
  // jsonb_to_recordset yields NULL for a missing key; NOT NULL columns with a default get that default instead.
  const selected = columns
    .map((c) => (c.fallback ? `coalesce(${quote(c.name)}, ${c.fallback})` : quote(c.name)))
    .join(', ');
  const upsertSql = `
WITH input AS (
  SELECT DISTINCT ON (drchrono_id) * FROM jsonb_to_recordset($1::jsonb) AS x(${recordset})
  ORDER BY drchrono_id, source_updated_at DESC NULLS LAST
), upserted AS (
  INSERT INTO ${t} AS t (${list}) SELECT ${selected} FROM input
  ON CONFLICT (drchrono_id) DO UPDATE SET ${columns.map((c) => `${quote(c.name)} = excluded.${quote(c.name)}`).join(', ')}, "deleted_at" = NULL
  WHERE (${compared.map((c) => `t.${c}`).join(', ')}) IS DISTINCT FROM (${compared.map((c) => (c === '"deleted_at"' ? 'NULL::timestamptz' : `excluded.${c}`)).join(', ')})
    AND (t.source_updated_at IS NULL OR excluded.source_updated_at IS NULL OR excluded.source_updated_at >= t.source_updated_at)
  RETURNING t.id, t.drchrono_id, (t.xmax = 0) AS inserted
), announced AS (
  INSERT INTO outbox (table_name, row_id, drchrono_id, op)
  SELECT '${config.name}', id, drchrono_id, 'upsert' FROM upserted
)
SELECT id, drchrono_id, inserted FROM upserted`;
  return {
    source: table,
    table: config.name,
    columns: columns.map(({ name, type, allowed: values }) => ({ name, type, ...(values && { allowed: values }) })),
    parents,
    upsertSql,
  };
}

function literalDefault(column: PgColumn): string | undefined {
  if (!column.notNull || !column.hasDefault) return undefined;
  const value: unknown = column.default;
  if (typeof value === 'boolean' || typeof value === 'number') return `${value}::${column.getSQLType()}`;
  if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'::${column.getSQLType()}`;
  return undefined;
}

function validate(spec: MirrorSpec, rows: readonly MirrorRow[]): void {
  const allowed = new Set(spec.columns.map((c) => c.name));
  rows.forEach((row, index) => {
    if (typeof row.drchrono_id !== 'string' || row.drchrono_id === '') {
      throw new InvalidMirrorRowError(`${spec.table} row ${index}: drchrono_id must be a non-empty string`);
    }
    if (row.raw === undefined || row.raw === null) {
      throw new InvalidMirrorRowError(`${spec.table} row ${index}: raw (the source object) is required`);
    }
    for (const key of Object.keys(row)) {
      if (!allowed.has(key))
        throw new InvalidMirrorRowError(`${spec.table} has no column ${key}; map the field or drop it`);
    }
  });
}

/**
 * Parents DrChrono links to but we have not synced yet (a webhook for a patient of a new doctor) get a placeholder
 * row — drchrono_id only, `raw = {}`, no source_updated_at — so foreign keys hold; the next sync of that resource
 * fills it in, because a row without source_updated_at always accepts an update. Placeholders emit no outbox row.
 */
async function ensureParents(tx: TransactionSql, spec: MirrorSpec, rows: readonly MirrorRow[]): Promise<void> {
  for (const parent of spec.parents) {
    // Sorted, so concurrent transactions take the parents' locks in the same order (no deadlock).
    const ids = [
      ...new Set(rows.map((r) => r[parent.column]).filter((v): v is string => typeof v === 'string' && v !== '')),
    ].sort();
    if (ids.length === 0) continue;
    await dbSpan(`placeholder insert ${parent.table}`, { operation: 'INSERT', table: parent.table }, () =>
      tx.unsafe(
        `INSERT INTO ${quote(parent.table)} (drchrono_id, raw) SELECT v, '{}'::jsonb FROM unnest($1::text[]) AS v
         ON CONFLICT (drchrono_id) DO NOTHING`,
        [ids],
        { prepare: true },
      ),
    );
  }
}

/**
 * Upserts one batch inside the caller's transaction with one set-based statement: rows that are new or differ
 * and are not older than what is stored are written; a replay or an older version is a no-op. The outbox rows for
 * exactly the changed ids are written by the same statement, so change and event commit together.
 *
 * Every value first passes the column's Postgres rule (sync/db/pg-values.ts): what Postgres would refuse (NUL,
 * lone surrogates, out-of-range integers, impossible dates, values outside a CHECK list) is cleaned or nulled and
 * counted in `warnings`, so one odd field never fails a page or a webhook.
 */
export async function upsertBatch<T extends PgTable>(
  tx: TransactionSql,
  spec: MirrorSpec<T>,
  input: readonly MirrorRowOf<T>[],
  warnings?: PgValueWarnings,
): Promise<ChangedRow[]> {
  if (input.length === 0) return [];
  // Typed rows are keyed by SQL name, so they are MirrorRows as they stand; validate() re-checks at run time.
  const untyped = input as readonly Record<string, unknown>[] as readonly MirrorRow[];
  validate(spec, untyped);
  const rows = untyped.map((row) => pgRow(spec.table, spec.columns, row, warnings));
  await ensureParents(tx, spec, rows);
  const result = await dbSpan(
    `upsert ${spec.table}`,
    { operation: 'INSERT', table: spec.table, attributes: { 'app.row_count': rows.length } },
    () =>
      tx.unsafe<{ id: string; drchrono_id: string; inserted: boolean }[]>(spec.upsertSql, [JSON.stringify(rows)], {
        prepare: true,
      }),
  );
  return result.map((r) => ({ id: Number(r.id), drchronoId: r.drchrono_id, op: r.inserted ? 'insert' : 'update' }));
}

/** Marks rows DrChrono deleted (or no longer returns) as deleted, with their outbox rows, in the caller's transaction. */
export async function softDeleteBatch(
  tx: TransactionSql,
  spec: MirrorSpec,
  drchronoIds: readonly string[],
): Promise<ChangedRow[]> {
  if (drchronoIds.length === 0) return [];
  const result = await dbSpan(`soft delete ${spec.table}`, { operation: 'UPDATE', table: spec.table }, () =>
    tx.unsafe<{ id: string; drchrono_id: string }[]>(
      `WITH deleted AS (
       UPDATE ${quote(spec.table)} SET deleted_at = now() WHERE drchrono_id = ANY($1::text[]) AND deleted_at IS NULL
       RETURNING id, drchrono_id
     ), announced AS (
       INSERT INTO outbox (table_name, row_id, drchrono_id, op) SELECT '${spec.table}', id, drchrono_id, 'delete' FROM deleted
     )
     SELECT id, drchrono_id FROM deleted`,
      [drchronoIds],
      { prepare: true },
    ),
  );
  return result.map((r) => ({ id: Number(r.id), drchronoId: r.drchrono_id, op: 'delete' }));
}

/** Convenience: one batch in its own transaction. */
export async function upsertRows<T extends PgTable>(
  sql: Sql,
  spec: MirrorSpec<T>,
  rows: readonly MirrorRowOf<T>[],
  context: ChangeContext,
  warnings?: PgValueWarnings,
): Promise<ChangedRow[]> {
  return inChangeTransaction(sql, context, (tx) => upsertBatch(tx, spec, rows, warnings));
}
