import type { Sql } from 'postgres';
import type { CodaSandboxRow } from '../../sandbox/coda/index.js';
import type { CodaMapping } from '../../sync/coda/mapping.js';
import { sourceTableInfo } from '../../sync/coda/tables.js';

/** Postgres rows of `table` rendered through the map by SQL formatting (independent of the push's own conversion). */
export async function expectedCodaRows(
  sql: Sql,
  mapping: CodaMapping,
  table: string,
): Promise<Map<string, Record<string, unknown>>> {
  const entry = mapping.tables[table]!;
  const info = sourceTableInfo(table)!;
  const keyColumn = Object.entries(entry.columns).find(([, id]) => id === entry.keyColumn)![0];
  const exprs = Object.entries(entry.columns).map(([column, id]) => {
    const kind = info.columns.get(column)!.kind;
    const c = `"${column}"`;
    const e =
      kind === 'date'
        ? `to_char(${c}, 'YYYY-MM-DD')`
        : kind === 'timestamptz'
          ? `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
          : kind === 'jsonb'
            ? `${c}::text`
            : kind === 'list'
              ? `array_to_string(${c}, ', ')`
              : c;
    return `${e} AS "${id}"`;
  });
  const deleted = info.columns.has('deleted_at') ? '(deleted_at IS NOT NULL)' : 'false';
  const rows = await sql.unsafe<Record<string, unknown>[]>(
    `SELECT ${exprs.join(', ')}, ${deleted} AS "__deleted" FROM ${table}`,
  );
  return new Map(
    rows.map((row) => {
      const values: Record<string, unknown> = {};
      for (const [column, id] of Object.entries(entry.columns)) {
        const kind = info.columns.get(column)!.kind;
        const v = row[id];
        values[id] =
          v === null
            ? ''
            : kind === 'integer' || kind === 'numeric'
              ? Number(v)
              : kind === 'jsonb'
                ? JSON.stringify(JSON.parse(String(v)))
                : v;
      }
      values[entry.deletedColumn] = row['__deleted'];
      return [String(row[entry.columns[keyColumn]!]), values];
    }),
  );
}

export interface CodaComparison {
  readonly table: string;
  readonly postgresRows: number;
  readonly codaRows: number;
  /** Keys in Postgres with no Coda row. */
  readonly missing: string[];
  /** Keys with more than one Coda row. */
  readonly duplicates: string[];
  /** Keys whose Coda row differs from Postgres in any mapped field. */
  readonly mismatched: string[];
  /** Keys in Coda that Postgres does not have. */
  readonly extra: string[];
}

/** Every Coda row compared with its Postgres row, field by field. */
export async function compareCodaWithPostgres(
  sql: Sql,
  mapping: CodaMapping,
  codaRows: (tableId: string) => CodaSandboxRow[],
  table: string,
): Promise<CodaComparison> {
  const entry = mapping.tables[table]!;
  const expected = await expectedCodaRows(sql, mapping, table);
  const actual = codaRows(entry.tableId);
  const seen = new Map<string, number>();
  const mismatched: string[] = [];
  for (const row of actual) {
    const key = String(row.values[entry.keyColumn]);
    seen.set(key, (seen.get(key) ?? 0) + 1);
    const want = expected.get(key);
    if (want && JSON.stringify(sortKeys(row.values)) !== JSON.stringify(sortKeys(want))) mismatched.push(key);
  }
  return {
    table,
    postgresRows: expected.size,
    codaRows: actual.length,
    missing: [...expected.keys()].filter((k) => !seen.has(k)),
    duplicates: [...seen].filter(([, n]) => n > 1).map(([k]) => k),
    mismatched,
    extra: [...seen.keys()].filter((k) => !expected.has(k)),
  };
}

const sortKeys = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
