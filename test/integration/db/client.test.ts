import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';

// createDatabase's wire formats (sync/db/client.ts useTextWireFormats): what the platform has always relied on,
// first set as a side effect of building a Drizzle client that nothing else used.

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('createDatabase wire formats', () => {
  it('reads timestamptz, timestamp, date and time values (and their arrays) as the text Postgres prints, not as JS Dates', async () => {
    const [row] = await t.sql`
      SELECT '2026-03-01 10:15:00.123456+00'::timestamptz AS at, '2026-03-01 10:15:00'::timestamp AS local,
             '2026-03-01'::date AS day, '10:15:00'::time AS clock,
             ARRAY['2026-03-01 10:15:00+00'::timestamptz] AS ats, ARRAY['2026-03-01'::date] AS days`;
    expect(row).toEqual({
      at: '2026-03-01 10:15:00.123456+00',
      local: '2026-03-01 10:15:00',
      day: '2026-03-01',
      clock: '10:15:00',
      ats: '{"2026-03-01 10:15:00+00"}',
      days: '{2026-03-01}',
    });
  });

  it('sends a jsonb parameter as the JSON text given, and parses jsonb results', async () => {
    const text = JSON.stringify([{ a: 1 }, { a: 2 }]);
    const rows = await t.sql.unsafe<{ a: number }[]>('SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(a int)', [text]);
    expect(rows.map((r) => r.a)).toEqual([1, 2]);
    const [row] = await t.sql`SELECT '{"b":[1,2]}'::jsonb AS j`;
    expect(row!.j).toEqual({ b: [1, 2] });
  });
});
