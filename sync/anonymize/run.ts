import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { getTableConfig } from 'drizzle-orm/pg-core';
import type { Sql, TransactionSql } from 'postgres';
import type { PseudonymKey } from './key.js';
import { anonymizeRegistry, tableName, type CopiedTable, type TableRules } from './registry.js';
import { applyRule, type TransformContext } from './rules.js';
import type { DatePolicy } from './values.js';

/** The target cannot take the copy: not migrated, or not empty. Nothing was written. */
export class AnonymizeTargetError extends Error {
  override name = 'AnonymizeTargetError';
}

/** A database and the rule registry disagree: a table or column without rules, or one the registry expects missing. */
export class AnonymizeSchemaError extends Error {
  override name = 'AnonymizeSchemaError';
}

export interface AnonymizeOptions {
  /** The production snapshot (read in one REPEATABLE READ, READ ONLY transaction: a consistent cut). */
  readonly source: Sql;
  /** The migrated, empty staging database (written in one transaction: all or nothing). */
  readonly target: Sql;
  readonly key: PseudonymKey;
  /** Strict Safe Harbor: dates keep their year only. @default false (shift by the patient's keyed offset) */
  readonly strictDates?: boolean;
  /** Today, `YYYY-MM-DD`, for ages over 89. @default the current UTC date */
  readonly today?: string;
  /** Rows fetched per cursor round trip. @default 2000 */
  readonly batchRows?: number;
  /** @default anonymizeRegistry */
  readonly registry?: readonly TableRules[];
  /** Called after each table with its row count. */
  readonly onTable?: (table: string, rows: number, seconds: number) => void;
}

export interface AnonymizeResult {
  readonly tables: readonly { readonly table: string; readonly rows: number; readonly seconds: number }[];
  readonly rows: number;
  readonly seconds: number;
}

/** The `audit_actor()` of every change_log row the load writes in the target. */
export const ANONYMIZE_ACTOR = 'platform-anonymize';

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Copies every copied table from source to target, de-identified by the registry's rules. */
export async function anonymizeDatabase(options: AnonymizeOptions): Promise<AnonymizeResult> {
  const registry = options.registry ?? anonymizeRegistry;
  const started = performance.now();
  await checkSchema(options.source, registry, 'source');
  await checkSchema(options.target, registry, 'target');
  await checkEmpty(options.target, registry);

  const dates: DatePolicy = {
    mode: options.strictDates ? 'year' : 'shift',
    today: options.today ?? new Date().toISOString().slice(0, 10),
  };
  const tables: { table: string; rows: number; seconds: number }[] = [];
  await options.source.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (source) => {
    await options.target.begin(async (target) => {
      await target`SELECT set_config('app.actor', ${ANONYMIZE_ACTOR}, true)`;
      for (const entry of registry) {
        if (!entry.copy) continue;
        const t = performance.now();
        const rows = await copyTable(source, target, entry, {
          key: options.key,
          dates,
          batchRows: options.batchRows ?? 2000,
        });
        const seconds = (performance.now() - t) / 1000;
        tables.push({ table: tableName(entry.table), rows, seconds });
        options.onTable?.(tableName(entry.table), rows, seconds);
      }
      for (const entry of registry) {
        if (!entry.copy || !('id' in entry.columns)) continue;
        const name = tableName(entry.table);
        await target.unsafe(
          `SELECT setval(pg_get_serial_sequence($1, 'id'), max(id)) FROM ${quoteIdent(name)} HAVING max(id) IS NOT NULL`,
          [name],
        );
      }
    });
  });
  return {
    tables,
    rows: tables.reduce((sum, t) => sum + t.rows, 0),
    seconds: (performance.now() - started) / 1000,
  };
}

/** Every table of the registry exists with exactly the registry's columns; every table of the database has rules. */
async function checkSchema(sql: Sql, registry: readonly TableRules[], side: 'source' | 'target'): Promise<void> {
  const rows = await sql<{ table_name: string; column_name: string }[]>`
    SELECT c.table_name, c.column_name FROM information_schema.columns c
    JOIN information_schema.tables t USING (table_schema, table_name)
    WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'`;
  const columns = new Map<string, Set<string>>();
  for (const r of rows) {
    if (!columns.has(r.table_name)) columns.set(r.table_name, new Set());
    columns.get(r.table_name)!.add(r.column_name);
  }
  const known = new Set(registry.map((e) => tableName(e.table)));
  const problems: string[] = [];
  const missing = registry.map((e) => tableName(e.table)).filter((n) => !columns.has(n));
  if (missing.length > 0) {
    const fix = side === 'target' ? 'run `platform migrate` on it first' : 'migrate it to this version first';
    throw new AnonymizeTargetError(
      `the ${side} database is not migrated to this version (missing tables: ${missing.join(', ')}); ${fix}`,
    );
  }
  for (const name of columns.keys())
    if (!known.has(name))
      problems.push(`table ${name} has no anonymization rules (add it to sync/anonymize/registry.ts)`);
  for (const entry of registry) {
    if (!entry.copy) continue;
    const name = tableName(entry.table);
    const actual = columns.get(name)!;
    for (const c of actual)
      if (!(c in entry.columns))
        problems.push(`column ${name}.${c} has no anonymization rule (add it to sync/anonymize/registry.ts)`);
    for (const c of Object.keys(entry.columns))
      if (!actual.has(c)) problems.push(`column ${name}.${c} has a rule but is not in the ${side} database`);
  }
  if (problems.length > 0) throw new AnonymizeSchemaError(`${side} database: ${problems.join('; ')}`);
}

async function checkEmpty(target: Sql, registry: readonly TableRules[]): Promise<void> {
  const nonEmpty: string[] = [];
  for (const entry of registry) {
    const name = tableName(entry.table);
    const [row] = await target.unsafe(`SELECT EXISTS (SELECT 1 FROM ${quoteIdent(name)}) AS any`);
    if (row?.any) nonEmpty.push(name);
  }
  if (nonEmpty.length > 0)
    throw new AnonymizeTargetError(
      `the target database is not empty (rows in ${nonEmpty.join(', ')}); anonymize loads a freshly migrated database only — recreate it (drop, create, platform migrate) and run again`,
    );
}

const csvText = (text: string) => `"${text.replaceAll('"', '""')}"`;
const pgArrayElement = (v: unknown) =>
  v === null || v === undefined ? 'NULL' : `"${String(v).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/** One value as a CSV field for COPY, by the column's SQL type. */
function csvField(value: unknown, sqlType: string): string {
  if (value === null || value === undefined) return '';
  if (sqlType === 'jsonb' || sqlType === 'json') return csvText(JSON.stringify(value));
  if (sqlType.endsWith('[]') && Array.isArray(value)) return csvText(`{${value.map(pgArrayElement).join(',')}}`);
  if (typeof value === 'boolean') return value ? 't' : 'f';
  return csvText(String(value));
}

async function copyTable(
  source: TransactionSql,
  target: TransactionSql,
  entry: CopiedTable,
  options: { key: PseudonymKey; dates: DatePolicy; batchRows: number },
): Promise<number> {
  const name = tableName(entry.table);
  const types = new Map(getTableConfig(entry.table).columns.map((c) => [c.name, c.getSQLType()]));
  const columns = Object.keys(entry.columns);
  const rules = columns.map((c) => [c, entry.columns[c]!, types.get(c) ?? 'text'] as const);
  const query = `SELECT ${columns.map((c) => `t.${quoteIdent(c)}`).join(', ')}, (${entry.subject})::text AS "__subject"
    FROM ${quoteIdent(name)} t ORDER BY t.id`;
  const writable = await target
    .unsafe(`COPY ${quoteIdent(name)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN WITH (FORMAT csv)`)
    .writable();
  let count = 0;
  const key = options.key;
  const dates = options.dates;
  async function* lines() {
    for await (const batch of source.unsafe(query).cursor(options.batchRows)) {
      let chunk = '';
      for (const row of batch as Record<string, unknown>[]) {
        const subject = (row.__subject as string | null) ?? `${name}:${String(row.id)}`;
        const ctx: TransformContext = { key, dates, offsetDays: key.dateOffsetDays(subject) };
        let line = '';
        for (let i = 0; i < rules.length; i++) {
          const [column, rule, sqlType] = rules[i]!;
          if (i > 0) line += ',';
          line += csvField(applyRule(rule, row[column], ctx, column), sqlType);
        }
        chunk += `${line}\n`;
        count++;
      }
      yield chunk;
    }
  }
  await pipeline(Readable.from(lines()), writable);
  return count;
}
