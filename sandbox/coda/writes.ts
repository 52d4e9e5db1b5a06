import { CodaApiError } from './errors.js';
import type { CellMap, CodaStore, CodaTable } from './store.js';
import type { CellInput } from './validation.js';

/** Resolves the target of a write call: the table (views refused) and the cells by column id. */
export function createWriteResolver(store: CodaStore) {
  /** The base table behind a write; writing to a view is refused like Coda does. */
  const writableTable = (docId: string, tableIdOrName: string) => {
    const table = store.getTable(docId, tableIdOrName);
    if (table.tableType !== 'table') {
      throw new CodaApiError(400, `Table "${tableIdOrName}" is a view; rows can only be written to base tables.`);
    }
    return table;
  };

  /** Resolves cells (column by id or name) to column id → value, refusing unknown and calculated columns. */
  const toCellMap = (table: CodaTable, cells: readonly CellInput[], where: string): CellMap => {
    const map = new Map<string, unknown>();
    for (const cell of cells) {
      const column = store.findColumn(table, cell.column);
      if (!column) throw new CodaApiError(400, `${where}: unknown column "${cell.column}" in table ${table.id}.`);
      if (column.calculated) {
        throw new CodaApiError(400, `${where}: column ${column.id} is calculated and cannot be written.`);
      }
      if (map.has(column.id)) throw new CodaApiError(400, `${where}: column ${column.id} appears twice.`);
      map.set(column.id, cell.value);
    }
    return map;
  };

  return { writableTable, toCellMap };
}
