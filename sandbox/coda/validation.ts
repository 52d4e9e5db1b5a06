import { z } from 'zod';

/** A cell as Coda accepts it: a column id (or name) and a JSON value. */
const cell = z
  .object({ column: z.string().min(1), value: z.unknown() })
  .refine((c) => c.value !== undefined, { message: 'value is required', path: ['value'] });

export type CellInput = { readonly column: string; readonly value: unknown };

/** `POST …/rows`: `{"rows":[{"cells":[…]}],"keyColumns":[…]}`. */
export const upsertRowsBody = z.object({
  rows: z.array(z.object({ cells: z.array(cell) })).min(1),
  keyColumns: z.array(z.string().min(1)).optional(),
});

/** `DELETE …/rows`: `{"rowIds":[…]}`. */
export const deleteRowsBody = z.object({ rowIds: z.array(z.string().min(1)).min(1) });

/** `PUT …/rows/{rowIdOrName}`: `{"row":{"cells":[…]}}`. */
export const updateRowBody = z.object({ row: z.object({ cells: z.array(cell) }) });

/** One line per problem, e.g. `rows.0.cells: Invalid input: expected array, received string`. */
export function formatIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}
