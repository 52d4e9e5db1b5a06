import { baseOf, comparableValue } from './store.js';
import type { CodaColumn, CodaRow, CodaTable } from './store.js';

// Coda's JSON shapes for columns, rows and tables. `apiBase` is the API base the request came in on
// (`http://127.0.0.1:<port>/apis/v1`), so every `href` points back at this sandbox.

/** A table's API URL. */
export const tableHref = (apiBase: string, table: CodaTable) => `${apiBase}/docs/${table.docId}/tables/${table.id}`;

/** A column as Coda serializes it; the first column is the display column. */
export const columnJson = (apiBase: string, table: CodaTable, column: CodaColumn, index: number) => ({
  id: column.id,
  type: 'column',
  name: column.name,
  href: `${tableHref(apiBase, table)}/columns/${column.id}`,
  calculated: column.calculated,
  display: index === 0,
  format: { type: 'text', isArray: false },
});

/** A row as Coda serializes it: every column's value, keyed by column id (or name with `useColumnNames`). */
export const rowJson = (apiBase: string, table: CodaTable, row: CodaRow, index: number, useColumnNames: boolean) => {
  const { columns } = baseOf(table);
  const values: Record<string, unknown> = {};
  // Like Coda, every column appears; a cell never written reads as an empty string.
  for (const column of columns) values[useColumnNames ? column.name : column.id] = row.values.get(column.id) ?? '';
  const display = columns[0];
  return {
    id: row.id,
    type: 'row',
    href: `${tableHref(apiBase, table)}/rows/${row.id}`,
    name: display ? comparableValue(row.values.get(display.id)) : '',
    index,
    browserLink: `https://coda.io/d/_d${table.docId}#_tu${table.id}/_ru${row.id}`,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
    values,
  };
};

/** A table or view as Coda serializes it; a view names its parent table. */
export const tableJson = (apiBase: string, table: CodaTable) => {
  const base = baseOf(table);
  const display = base.columns[0];
  return {
    id: table.id,
    type: 'table',
    tableType: table.tableType,
    href: tableHref(apiBase, table),
    browserLink: `https://coda.io/d/_d${table.docId}#_tu${table.id}`,
    name: table.name,
    rowCount: base.rows.size,
    createdAt: new Date(table.createdAt).toISOString(),
    updatedAt: new Date(table.createdAt).toISOString(),
    ...(display && {
      displayColumn: { id: display.id, type: 'column', href: `${tableHref(apiBase, table)}/columns/${display.id}` },
    }),
    ...(table.tableType === 'view' && {
      parentTable: {
        id: table.base.id,
        type: 'table',
        tableType: 'table',
        href: tableHref(apiBase, table.base),
        name: table.base.name,
      },
    }),
  };
};
