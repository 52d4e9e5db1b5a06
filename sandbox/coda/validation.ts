import type { Context } from 'hono';
import { z } from 'zod';
import { CodaApiError } from './errors.js';

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

/**
 * Parses Coda's row filter `<columnIdOrName>:<JSON value>`; a column name with special characters
 * is quoted (`"My Column":123`). String values are JSON strings (`c-abc:"groceries"`).
 * @throws CodaApiError 400 for a malformed filter or a value that is not JSON.
 */
export function parseQuery(query: string): { column: string; value: unknown } {
  let column: string;
  let rest: string;
  const quoted = /^"((?:[^"\\]|\\.)*)":([\s\S]*)$/.exec(query);
  if (quoted) {
    column = JSON.parse(`"${quoted[1] ?? ''}"`) as string;
    rest = quoted[2] ?? '';
  } else {
    const at = query.indexOf(':');
    if (at <= 0) throw new CodaApiError(400, 'query must look like <columnIdOrName>:<JSON value>.');
    column = query.slice(0, at);
    rest = query.slice(at + 1);
  }
  try {
    return { column, value: JSON.parse(rest) };
  } catch {
    throw new CodaApiError(400, 'The value in query must be JSON; quote strings, e.g. c-abc:"value".');
  }
}

/**
 * A request's JSON body.
 * @throws CodaApiError 400 when the body is not JSON.
 */
export async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new CodaApiError(400, 'The request body is not valid JSON.');
  }
}
