import { createHash, randomBytes } from 'node:crypto';
import { CodaApiError } from './errors.js';

/** One column of a sandbox table. */
export interface CodaColumnSpec {
  /** Column name, unique within the table. */
  readonly name: string;
  /**
   * Column id (`c-…`).
   * @default derived from the doc id, table name and column name, so it is the same on every run
   */
  readonly id?: string;
  /** A calculated (formula) column: readable, never writable through the API. @default false */
  readonly calculated?: boolean;
}

/** One table (or view) of a sandbox doc. */
export interface CodaTableSpec {
  /** Table name, unique within the doc. */
  readonly name: string;
  /**
   * Table id (`grid-…`; views get `table-…` like Coda's views).
   * @default derived from the doc id and table name, so it is the same on every run
   */
  readonly id?: string;
  /** Columns of a base table; ignored for a view, which shows its base table's columns. @default [] */
  readonly columns?: readonly CodaColumnSpec[];
  /** Makes this a view of the named base table (same rows and columns, read-only through the API). */
  readonly viewOf?: string;
}

/** What `control.createDoc` builds. */
export interface CodaDocSpec {
  /** @default a random id of 10 characters */
  readonly docId?: string;
  /** @default the doc id */
  readonly name?: string;
  readonly tables: readonly CodaTableSpec[];
}

/** Ids of a created doc: table name → `{ id: 'grid-…', columns: { column name → 'c-…' } }`. */
export interface CreatedCodaDoc {
  readonly docId: string;
  readonly tables: Readonly<
    Record<string, { readonly id: string; readonly columns: Readonly<Record<string, string>> }>
  >;
}

export interface CodaColumn {
  readonly id: string;
  readonly name: string;
  readonly calculated: boolean;
}

export interface CodaRow {
  readonly id: string;
  /** Insertion sequence; orders rows and backs page tokens. */
  readonly seq: number;
  readonly values: Map<string, unknown>;
  readonly createdAt: number;
  updatedAt: number;
}

interface CodaTableBase {
  readonly id: string;
  readonly name: string;
  readonly docId: string;
  readonly createdAt: number;
}

/** A base table: holds the rows and columns. */
export interface CodaBaseTable extends CodaTableBase {
  readonly tableType: 'table';
  readonly columns: readonly CodaColumn[];
  readonly rows: Map<string, CodaRow>;
}

/** A view: shows its base table's rows and columns; the API refuses writes to it. */
export interface CodaView extends CodaTableBase {
  readonly tableType: 'view';
  readonly base: CodaBaseTable;
}

export type CodaTable = CodaBaseTable | CodaView;

/** The table holding a table's rows and columns: itself for a base table. */
export function baseOf(table: CodaTable): CodaBaseTable {
  return table.tableType === 'table' ? table : table.base;
}

export interface CodaDoc {
  readonly id: string;
  readonly name: string;
  readonly tables: readonly CodaTable[];
  readonly createdAt: number;
}

/** A validated row write: column id → value. */
export type CellMap = ReadonlyMap<string, unknown>;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function encode(bytes: Uint8Array, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += ALPHABET[(bytes[i] ?? 0) % ALPHABET.length];
  return out;
}

/** A random id body of `length` characters, like Coda's (`grid-pqRst-U`, `i-tuVwxYz`). */
export function randomIdBody(length = 10): string {
  return encode(randomBytes(length), length);
}

/** A stable id body derived from `parts`, so re-creating the same doc spec gives the same ids. */
function derivedIdBody(...parts: string[]): string {
  return encode(createHash('sha256').update(parts.join('\u0000')).digest(), 10);
}

/**
 * Normalises a cell value for equality (upsert keys, `query` filters). Scalars compare by their
 * text, as in a text column (`123` matches `"123"`); anything else by its JSON.
 */
export function comparableValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export interface CodaStoreOptions {
  /** Milliseconds since the epoch; used for createdAt/updatedAt. */
  readonly clock: () => number;
}

/**
 * Docs, tables, columns and rows of the Coda sandbox, with the synchronous parts of Coda's row
 * semantics (lookup by id or name, upsert by key columns, delete). Scheduling and HTTP live elsewhere.
 */
export function createCodaStore(options: CodaStoreOptions) {
  const { clock } = options;
  const docs = new Map<string, CodaDoc>();
  const tablesById = new Map<string, CodaTable>();
  let rowSeq = 0;
  const keyIndexes = new WeakMap<CodaBaseTable, { signature: string; index: Map<string, CodaRow[]> }>();

  function createDoc(spec: CodaDocSpec): CreatedCodaDoc {
    const docId = spec.docId ?? randomIdBody(10);
    if (docs.has(docId)) throw new Error(`createDoc: doc "${docId}" already exists; pass another docId or omit it`);
    const createdAt = clock();
    const tables: CodaTable[] = [];
    const ids: Record<string, { id: string; columns: Record<string, string> }> = {};
    const byName = new Map<string, CodaBaseTable>();

    for (const tableSpec of spec.tables.filter((t) => t.viewOf === undefined)) {
      if (ids[tableSpec.name])
        throw new Error(`createDoc: table name "${tableSpec.name}" is used twice in doc "${docId}"`);
      const columns: CodaColumn[] = [];
      const columnIds: Record<string, string> = {};
      for (const col of tableSpec.columns ?? []) {
        if (columnIds[col.name]) {
          throw new Error(`createDoc: column name "${col.name}" is used twice in table "${tableSpec.name}"`);
        }
        const id = col.id ?? `c-${derivedIdBody(docId, tableSpec.name, col.name)}`;
        columns.push({ id, name: col.name, calculated: col.calculated ?? false });
        columnIds[col.name] = id;
      }
      const id = tableSpec.id ?? `grid-${derivedIdBody(docId, tableSpec.name)}`;
      if (tablesById.has(id)) throw new Error(`createDoc: table id "${id}" already exists`);
      const table: CodaBaseTable = {
        id,
        name: tableSpec.name,
        docId,
        tableType: 'table',
        columns,
        rows: new Map(),
        createdAt,
      };
      tables.push(table);
      byName.set(table.name, table);
      ids[table.name] = { id, columns: columnIds };
    }

    for (const viewSpec of spec.tables.filter((t) => t.viewOf !== undefined)) {
      if (ids[viewSpec.name])
        throw new Error(`createDoc: table name "${viewSpec.name}" is used twice in doc "${docId}"`);
      const base = byName.get(viewSpec.viewOf ?? '');
      if (!base) {
        throw new Error(
          `createDoc: view "${viewSpec.name}" names base table "${viewSpec.viewOf}", which the spec does not define`,
        );
      }
      const id = viewSpec.id ?? `table-${derivedIdBody(docId, viewSpec.name)}`;
      if (tablesById.has(id)) throw new Error(`createDoc: table id "${id}" already exists`);
      tables.push({ id, name: viewSpec.name, docId, tableType: 'view', base, createdAt });
      ids[viewSpec.name] = { id, columns: Object.fromEntries(base.columns.map((c) => [c.name, c.id])) };
    }

    docs.set(docId, { id: docId, name: spec.name ?? docId, tables, createdAt });
    for (const table of tables) tablesById.set(table.id, table);
    return { docId, tables: ids };
  }

  function getDoc(docId: string): CodaDoc {
    const doc = docs.get(docId);
    if (!doc) throw new CodaApiError(404, `Doc "${docId}" does not exist.`);
    return doc;
  }

  /** Finds a table of a doc by id or (URI-decoded) name; 404 when there is none. */
  function getTable(docId: string, tableIdOrName: string): CodaTable {
    const doc = getDoc(docId);
    const table = doc.tables.find((t) => t.id === tableIdOrName) ?? doc.tables.find((t) => t.name === tableIdOrName);
    if (!table) throw new CodaApiError(404, `Table "${tableIdOrName}" does not exist in doc "${docId}".`);
    return table;
  }

  /** A table by id across all docs (for control methods). */
  function findTable(tableId: string): CodaTable | undefined {
    return tablesById.get(tableId);
  }

  /** A column by id or name; undefined when the table has none. */
  function findColumn(table: CodaTable, columnIdOrName: string): CodaColumn | undefined {
    const { columns } = baseOf(table);
    return columns.find((c) => c.id === columnIdOrName) ?? columns.find((c) => c.name === columnIdOrName);
  }

  function findRow(table: CodaTable, rowIdOrName: string): CodaRow | undefined {
    const { rows, columns } = baseOf(table);
    const byId = rows.get(rowIdOrName);
    if (byId) return byId;
    const display = columns[0];
    if (!display) return undefined;
    for (const row of rows.values()) {
      if (comparableValue(row.values.get(display.id)) === rowIdOrName) return row;
    }
    return undefined;
  }

  function newRowId(): string {
    return `i-${randomIdBody(10)}`;
  }

  function insertRow(table: CodaBaseTable, cells: CellMap, id: string, at: number): CodaRow {
    rowSeq += 1;
    const row: CodaRow = { id, seq: rowSeq, values: new Map(cells), createdAt: at, updatedAt: at };
    table.rows.set(id, row);
    return row;
  }

  function updateRow(row: CodaRow, cells: CellMap, at: number): void {
    for (const [columnId, value] of cells) row.values.set(columnId, value);
    row.updatedAt = at;
  }

  /**
   * Applies an upsert: with key columns, every row whose key values equal the written ones is
   * updated (all matches, as Coda documents), otherwise a row is inserted; without key columns
   * every row is inserted, using `rowIds[i]` (announced as `addedRowIds`) when given.
   */
  function applyUpsert(
    table: CodaBaseTable,
    rows: readonly CellMap[],
    keyColumnIds: readonly string[],
    rowIds: readonly string[] = [],
  ): void {
    const at = clock();
    if (keyColumnIds.length === 0) {
      keyIndexes.delete(table);
      rows.forEach((cells, i) => insertRow(table, cells, rowIds[i] ?? newRowId(), at));
      return;
    }
    const keyOf = (get: (columnId: string) => unknown) =>
      keyColumnIds.map((columnId) => comparableValue(get(columnId))).join('\u0000');
    // The key → rows index is kept between upserts with the same key columns (the common case: a
    // sync pushing batch after batch); any other change to the table drops it.
    const signature = keyColumnIds.join('\u0000');
    let index = keyIndexes.get(table)?.signature === signature ? keyIndexes.get(table)?.index : undefined;
    if (!index) {
      index = new Map<string, CodaRow[]>();
      for (const row of table.rows.values()) {
        const key = keyOf((columnId) => row.values.get(columnId));
        const list = index.get(key);
        if (list) list.push(row);
        else index.set(key, [row]);
      }
      keyIndexes.set(table, { signature, index });
    }
    for (const cells of rows) {
      const key = keyOf((columnId) => cells.get(columnId));
      const matches = index.get(key);
      if (matches) {
        for (const row of matches) updateRow(row, cells, at);
      } else {
        index.set(key, [insertRow(table, cells, newRowId(), at)]);
      }
    }
  }

  function applyUpdate(table: CodaBaseTable, rowId: string, cells: CellMap): void {
    const row = table.rows.get(rowId);
    if (row) updateRow(row, cells, clock());
    keyIndexes.delete(table);
  }

  /** Deletes rows by id; ids that no longer exist are ignored. */
  function applyDelete(table: CodaBaseTable, rowIds: readonly string[]): void {
    for (const id of rowIds) table.rows.delete(id);
    keyIndexes.delete(table);
  }

  return {
    createDoc,
    getDoc,
    getTable,
    findTable,
    findColumn,
    findRow,
    newRowId,
    applyUpsert,
    applyUpdate,
    applyDelete,
    docs: () => [...docs.values()],
  };
}

export type CodaStore = ReturnType<typeof createCodaStore>;
