import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { CodaClient } from './client.js';
import { CodaHttpError, CodaMappingError } from './errors.js';
import { codaSourceTables, sourceTableInfo } from './tables.js';

// The typed column map (CODA_MAPPING): Postgres table → Coda table id, key column id, Deleted column id and one
// Coda column id per Postgres column. Ids only — Coda's names are fragile (DESIGN §7.3).

const columnId = z
  .string()
  .regex(/^c-[A-Za-z0-9_-]+$/, 'must be a Coda column id (c-…); address columns by id, not by name');

const tableMappingSchema = z.object({
  /** Base table id (`grid-…`); views (`table-…`) cannot be written. */
  tableId: z
    .string()
    .regex(/^grid-[A-Za-z0-9_-]+$/, 'must be a Coda base table id (grid-…); views (table-…) cannot be written'),
  /** Upsert key: the column holding the DrChrono id (mirrors), the Deep Cura note id, or the row id (operational tables). */
  keyColumn: columnId,
  /** Boolean column set true when the row is soft-deleted (`deleted_at` set); always false for tables without it. */
  deletedColumn: columnId,
  /** Postgres column name → Coda column id. Must include the key column. */
  columns: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a Postgres column name'), columnId),
});

/** What the JSON file holds; `docId` may come from `CODA_DOC_ID` instead. */
export const codaMappingFileSchema = z.object({
  docId: z.string().min(1).optional(),
  tables: z.record(z.string(), tableMappingSchema),
});

export type CodaTableMapping = z.infer<typeof tableMappingSchema>;

export interface CodaMapping {
  readonly docId: string;
  readonly tables: Readonly<Record<string, CodaTableMapping>>;
}

/** The mapping of `table`, or undefined (own properties only, so `__proto__` or `toString` never match). */
export function tableMapping(mapping: CodaMapping, table: string): CodaTableMapping | undefined {
  return Object.hasOwn(mapping.tables, table) ? mapping.tables[table] : undefined;
}

/** Problems of a parsed map against the Postgres schema: unknown tables or columns, a key column not mapped. */
export function checkMappingAgainstSchema(mapping: CodaMapping): string[] {
  const problems: string[] = [];
  for (const [table, entry] of Object.entries(mapping.tables)) {
    const info = sourceTableInfo(table);
    if (!info) {
      problems.push(
        `tables.${table}: not a table coda-push reads; use one of ${Object.keys(codaSourceTables).join(', ')}`,
      );
      continue;
    }
    const seen = new Map<string, string>();
    for (const [column, id] of Object.entries(entry.columns)) {
      if (!info.columns.has(column))
        problems.push(`tables.${table}.columns.${column}: ${table} has no such column; remove it or fix the name`);
      const other = seen.get(id);
      if (other)
        problems.push(
          `tables.${table}.columns.${column}: ${id} is also mapped from ${other}; each Coda column takes one Postgres column`,
        );
      seen.set(id, column);
    }
    if (!seen.has(entry.keyColumn)) {
      problems.push(
        `tables.${table}.keyColumn (${entry.keyColumn}): must also be mapped in columns, from ${info.defaultKey} (the upsert key)`,
      );
    }
    const clash = seen.get(entry.deletedColumn);
    if (clash)
      problems.push(
        `tables.${table}.deletedColumn (${entry.deletedColumn}): is also mapped from ${clash}; use a separate boolean Deleted column`,
      );
  }
  return problems;
}

/**
 * Validates a column map (the parsed JSON of `CODA_MAPPING`) against its zod shape and the Postgres schema.
 * `docId` (from `CODA_DOC_ID`) overrides the file's.
 * @throws {CodaMappingError} listing every problem, each naming its path in the file and the fix
 */
export function parseCodaMapping(json: unknown, options: { docId?: string | undefined } = {}): CodaMapping {
  const parsed = codaMappingFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new CodaMappingError(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const docId = options.docId ?? parsed.data.docId;
  if (!docId) throw new CodaMappingError(['docId: set CODA_DOC_ID or "docId" in the mapping file']);
  const mapping: CodaMapping = { docId, tables: parsed.data.tables };
  const problems = checkMappingAgainstSchema(mapping);
  if (problems.length > 0) throw new CodaMappingError(problems);
  return mapping;
}

/**
 * Reads and validates the JSON column map at `path` (`CODA_MAPPING`).
 * @throws {CodaMappingError} when the file is unreadable, not JSON, or does not fit
 */
export function loadCodaMapping(path: string, options: { docId?: string | undefined } = {}): CodaMapping {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CodaMappingError([
      `CODA_MAPPING: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CodaMappingError([`CODA_MAPPING: ${path} is not valid JSON`]);
  }
  return parseCodaMapping(json, options);
}

/**
 * Start-up check against the live doc: every mapped table exists and every mapped column (key and Deleted
 * included) exists and is not calculated. Reads each table's columns once (paged).
 * @throws {CodaMappingError} naming each missing or calculated column by its mapping key and id
 */
export async function validateMappingAgainstCoda(
  client: CodaClient,
  mapping: CodaMapping,
  options: { requestId?: string } = {},
): Promise<void> {
  const problems: string[] = [];
  for (const [table, entry] of Object.entries(mapping.tables)) {
    let columns;
    try {
      columns = await client.listColumns(mapping.docId, entry.tableId, options);
    } catch (error) {
      if (error instanceof CodaHttpError && error.status === 404) {
        problems.push(`tables.${table}.tableId ${entry.tableId}: no such table in doc ${mapping.docId}`);
        continue;
      }
      throw error;
    }
    const byId = new Map(columns.map((c) => [c.id, c]));
    const wanted: [string, string][] = [
      ...Object.entries(entry.columns).map(([column, id]): [string, string] => [
        `tables.${table}.columns.${column}`,
        id,
      ]),
      [`tables.${table}.deletedColumn`, entry.deletedColumn],
    ];
    for (const [key, id] of wanted) {
      const column = byId.get(id);
      if (!column)
        problems.push(
          `${key} → ${id}: no such column in Coda table ${entry.tableId}; add it to the table or fix the id`,
        );
      else if (column.calculated)
        problems.push(`${key} → ${id} ("${column.name}"): a calculated column cannot be written; map a base column`);
    }
  }
  if (problems.length > 0) throw new CodaMappingError(problems, `Coda column map does not match doc ${mapping.docId}`);
}

// ── The default doc and its map ───────────────────────────────────────────────────────────────────────────────

/** Columns staff never see in Coda: the raw source object and the full transcript (the SOAP fields carry the note). */
const HIDDEN_COLUMNS = new Set(['raw', 'transcript']);
export const DELETED_COLUMN_NAME = 'Deleted';

const WORDS: Record<string, string> = {
  id: 'ID',
  drchrono: 'DrChrono',
  deepcura: 'Deep Cura',
  icd: 'ICD',
  icd10: 'ICD-10',
  cpt: 'CPT',
  npi: 'NPI',
  ndc: 'NDC',
  rxnorm: 'RxNorm',
  snomed: 'SNOMED',
  soap: 'SOAP',
  ins1: 'Ins1',
  ins2: 'Ins2',
  ins3: 'Ins3',
  pt: 'Patient',
  dob: 'DOB',
};

/** `insurance_records` → `Insurance Records`, `npi_number` → `NPI Number`. */
export function titleOf(snake: string): string {
  return snake
    .split('_')
    .map((w) => WORDS[w] ?? w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/** Readable Coda column name of a Postgres column; references to other records say whose id they hold. */
export function columnTitle(column: string): string {
  if (column === 'id') return 'Row ID';
  if (
    ['patient', 'doctor', 'appointment', 'clinical_note', 'line_item', 'lab_order', 'lab_test', 'lab_result'].includes(
      column,
    )
  )
    return `${titleOf(column)} (DrChrono ID)`;
  return titleOf(column);
}

/** Structurally the sandbox's `CodaDocSpec`, so `control.createDoc(defaultCodaDocSpec())` works. */
export interface CodaDocSpecLike {
  readonly docId?: string;
  readonly name?: string;
  readonly tables: readonly { readonly name: string; readonly columns: readonly { readonly name: string }[] }[];
}

/** Structurally the sandbox's `CreatedCodaDoc`. */
export interface CreatedCodaDocLike {
  readonly docId: string;
  readonly tables: Readonly<
    Record<string, { readonly id: string; readonly columns: Readonly<Record<string, string>> }>
  >;
}

interface DefaultTableLayout {
  readonly table: string;
  readonly name: string;
  /** Postgres column → Coda column name, key first. */
  readonly columns: readonly (readonly [string, string])[];
  readonly key: string;
}

function defaultLayout(): DefaultTableLayout[] {
  return Object.keys(codaSourceTables).map((table) => {
    const info = sourceTableInfo(table);
    if (!info) throw new Error(`defaultLayout: ${table} has no schema`);
    const names = [...info.columns.keys()].filter((c) => !HIDDEN_COLUMNS.has(c));
    const ordered = [info.defaultKey, ...names.filter((c) => c !== info.defaultKey)];
    return {
      table,
      name: titleOf(table),
      key: info.defaultKey,
      columns: ordered.map((c) => [c, columnTitle(c)] as const),
    };
  });
}

/**
 * A Coda doc with one table per mirror, Deep Cura and operational table: the key column first (Coda's display
 * column), then every column staff may need under a readable name (no `raw`, no transcript), then `Deleted`.
 * Feed it to the sandbox's `control.createDoc` (or build the same tables in a real doc) and turn the returned ids
 * into a map with {@link mappingFromCreatedDoc}.
 */
export function defaultCodaDocSpec(options: { docId?: string; name?: string } = {}): CodaDocSpecLike {
  return {
    ...(options.docId !== undefined && { docId: options.docId }),
    name: options.name ?? 'Feel August',
    tables: defaultLayout().map((t) => ({
      name: t.name,
      columns: [...t.columns.map(([, name]) => ({ name })), { name: DELETED_COLUMN_NAME }],
    })),
  };
}

/**
 * The column map for a doc created from {@link defaultCodaDocSpec}: ids looked up by the default table and column names.
 * @throws {CodaMappingError} naming each default table or column the created doc lacks
 */
export function mappingFromCreatedDoc(created: CreatedCodaDocLike): CodaMapping {
  const problems: string[] = [];
  const tables: Record<string, CodaTableMapping> = {};
  for (const layout of defaultLayout()) {
    const ids = created.tables[layout.name];
    if (!ids) {
      problems.push(`table "${layout.name}" (for ${layout.table}) is missing from doc ${created.docId}`);
      continue;
    }
    const columns: Record<string, string> = {};
    for (const [column, name] of layout.columns) {
      const id = ids.columns[name];
      if (id) columns[column] = id;
      else problems.push(`column "${name}" (for ${layout.table}.${column}) is missing from table "${layout.name}"`);
    }
    const deleted = ids.columns[DELETED_COLUMN_NAME];
    if (!deleted) problems.push(`column "${DELETED_COLUMN_NAME}" is missing from table "${layout.name}"`);
    tables[layout.table] = {
      tableId: ids.id,
      keyColumn: columns[layout.key] ?? '',
      deletedColumn: deleted ?? '',
      columns,
    };
  }
  if (problems.length > 0) throw new CodaMappingError(problems, 'The created doc does not match the default layout');
  return { docId: created.docId, tables };
}
