import type { Sql } from 'postgres';
import { createCodaSandbox, type CodaSandboxOptions } from '../../../sandbox/coda/index.js';

export const TOKEN = 'unit-coda-token';

/** A stand-in for postgres.js that records the values of each access_log INSERT instead of writing them. */
export function recordingSql(): { sql: Sql; rows: unknown[][] } {
  const rows: unknown[][] = [];
  const sql = ((_strings: TemplateStringsArray, ...values: unknown[]) => {
    rows.push(values);
    return Promise.resolve([]);
  }) as unknown as Sql;
  return { sql, rows };
}

/** The Coda sandbox served in-process: `fetch` goes straight to its Hono app. */
export function inProcessCoda(options: Partial<CodaSandboxOptions> = {}) {
  const sandbox = createCodaSandbox({ tokens: [TOKEN], ...options });
  const fetch = ((input: string | URL | Request, init?: RequestInit) =>
    sandbox.app.fetch(new Request(input, init))) as typeof globalThis.fetch;
  return { ...sandbox, fetch, baseUrl: 'http://coda.test/apis/v1' };
}
