import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../../sync/db/migrate.js';
import { PgValueWarnings } from '../../../sync/db/pg-values.js';
import { mirrors, type MirrorRows } from '../../../sync/mirrors.js';
import { InvalidMirrorRowError, softDeleteBatch, upsertRows } from '../../../sync/upsert.js';
import { inChangeTransaction } from '../../../sync/db/change-transaction.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

const context = { actor: 'test:upsert', requestId: 'req-upsert' };

const patient = (id: string, updatedAt: string, firstName = 'Ada'): MirrorRows['patients'] => ({
  drchrono_id: id,
  first_name: firstName,
  last_name: 'Testperson',
  date_of_birth: '1990-04-01',
  raw: { id: Number(id), first_name: firstName, updated_at: updatedAt },
  source_updated_at: updatedAt,
});

async function count(sqlText: string, ...params: unknown[]): Promise<number> {
  const [row] = await t.sql.unsafe<{ n: string }[]>(sqlText, params as never[]);
  return Number(row!.n);
}

describe('upsertRows', () => {
  it('inserts new rows and writes one outbox row and one change_log row per row', async () => {
    const changed = await upsertRows(
      t.sql,
      mirrors.patients,
      [patient('101', '2026-01-01T10:00:00+00:00'), patient('102', '2026-01-01T10:00:00+00:00')],
      context,
    );
    expect(changed.map((c) => [c.drchronoId, c.op]).sort()).toEqual([
      ['101', 'insert'],
      ['102', 'insert'],
    ]);
    expect(
      await count(
        `SELECT count(*) n FROM outbox WHERE table_name = 'patients' AND drchrono_id IN ('101', '102') AND op = 'upsert'`,
      ),
    ).toBe(2);
    expect(
      await count(
        `SELECT count(*) n FROM change_log WHERE table_name = 'patients' AND op = 'INSERT' AND actor = 'test:upsert' AND request_id = 'req-upsert'`,
      ),
    ).toBe(2);
  });

  it('treats a replay of the same rows as a no-op: no change, no change_log, no outbox row', async () => {
    const before = await count(`SELECT count(*) n FROM change_log`);
    const outboxBefore = await count(`SELECT count(*) n FROM outbox`);
    const changed = await upsertRows(
      t.sql,
      mirrors.patients,
      [patient('101', '2026-01-01T10:00:00+00:00'), patient('102', '2026-01-01T10:00:00+00:00')],
      context,
    );
    expect(changed).toEqual([]);
    expect(await count(`SELECT count(*) n FROM change_log`)).toBe(before);
    expect(await count(`SELECT count(*) n FROM outbox`)).toBe(outboxBefore);
  });

  it('returns only the ids that really changed when a batch mixes changed and unchanged rows', async () => {
    const changed = await upsertRows(
      t.sql,
      mirrors.patients,
      [patient('101', '2026-01-02T10:00:00+00:00', 'Grace'), patient('102', '2026-01-01T10:00:00+00:00')],
      context,
    );
    expect(changed.map((c) => [c.drchronoId, c.op])).toEqual([['101', 'update']]);
    const [log] =
      await t.sql`SELECT before->>'first_name' AS b, after->>'first_name' AS a, changed_columns FROM change_log WHERE table_name = 'patients' AND op = 'UPDATE' ORDER BY id DESC LIMIT 1`;
    expect(log).toMatchObject({ b: 'Ada', a: 'Grace' });
    expect(log!.changed_columns).toEqual(['first_name', 'raw', 'source_updated_at']);
  });

  it('never lets an older source_updated_at overwrite newer data', async () => {
    const changed = await upsertRows(
      t.sql,
      mirrors.patients,
      [patient('101', '2025-12-31T10:00:00+00:00', 'Stale')],
      context,
    );
    expect(changed).toEqual([]);
    const [row] = await t.sql`SELECT first_name FROM patients WHERE drchrono_id = '101'`;
    expect(row!.first_name).toBe('Grace');
  });

  it('keeps the newest version when a batch carries the same id twice', async () => {
    const changed = await upsertRows(
      t.sql,
      mirrors.patients,
      [patient('103', '2026-02-02T00:00:00+00:00', 'Newer'), patient('103', '2026-02-01T00:00:00+00:00', 'Older')],
      context,
    );
    expect(changed).toHaveLength(1);
    const [row] = await t.sql`SELECT first_name FROM patients WHERE drchrono_id = '103'`;
    expect(row!.first_name).toBe('Newer');
  });

  it('creates placeholder parents for links to rows not synced yet, and the later sync fills them in', async () => {
    await upsertRows(
      t.sql,
      mirrors.appointments,
      [{ drchrono_id: 'apt-1', patient: '555', doctor: '77', raw: {}, source_updated_at: '2026-01-01T00:00:00+00:00' }],
      context,
    );
    const [placeholder] = await t.sql`SELECT raw, source_updated_at FROM patients WHERE drchrono_id = '555'`;
    expect(placeholder).toMatchObject({ raw: {}, source_updated_at: null });
    expect(await count(`SELECT count(*) n FROM outbox WHERE table_name = 'patients' AND drchrono_id = '555'`)).toBe(0);
    const changed = await upsertRows(
      t.sql,
      mirrors.patients,
      [patient('555', '2020-01-01T00:00:00+00:00', 'Filled')],
      context,
    );
    expect(changed.map((c) => c.op)).toEqual(['update']);
  });

  it('refuses a row with a column the table does not have, before writing anything', async () => {
    const before = await count(`SELECT count(*) n FROM patients`);
    await expect(
      // A typed caller cannot write this (tsc refuses the column); the runtime guard is for rows that get past the types.
      upsertRows(
        t.sql,
        mirrors.patients,
        [
          patient('104', '2026-01-01T00:00:00+00:00'),
          // @ts-expect-error favourite_colour is not a column of patients
          { ...patient('105', '2026-01-01T00:00:00+00:00'), favourite_colour: 'blue' },
        ],
        context,
      ),
    ).rejects.toThrow(InvalidMirrorRowError);
    expect(await count(`SELECT count(*) n FROM patients`)).toBe(before);
  });

  it('writes nothing of a batch that fails in the database', async () => {
    const before = await count(`SELECT count(*) n FROM patients`);
    const outboxBefore = await count(`SELECT count(*) n FROM outbox`);
    // A constraint the schema does not declare, so the value normaliser cannot know it and the database refuses.
    await t.sql`ALTER TABLE patients ADD CONSTRAINT test_refuse_107 CHECK (drchrono_id <> '107') NOT VALID`;
    try {
      await expect(
        upsertRows(
          t.sql,
          mirrors.patients,
          [patient('106', '2026-01-01T00:00:00+00:00'), patient('107', '2026-01-01T00:00:00+00:00')],
          context,
        ),
      ).rejects.toThrow(/test_refuse_107/);
    } finally {
      await t.sql`ALTER TABLE patients DROP CONSTRAINT test_refuse_107`;
    }
    expect(await count(`SELECT count(*) n FROM patients`)).toBe(before);
    expect(await count(`SELECT count(*) n FROM outbox`)).toBe(outboxBefore);
  });

  it('stores a value outside a CHECK list, or one Postgres cannot hold, as null or cleaned, counting a warning per column', async () => {
    const warnings = new PgValueWarnings();
    await upsertRows(
      t.sql,
      mirrors.patients,
      [
        {
          ...patient('108', '2026-01-01T00:00:00+00:00'),
          patient_status: 'not-a-status',
          city: 'Nul\u0000ville',
          date_of_birth: '2026-02-30',
          raw: { id: 108, note: 'x\u0000\uD800' },
        },
      ],
      context,
      warnings,
    );
    const [row] = await t.sql`SELECT patient_status, city, date_of_birth, raw FROM patients WHERE drchrono_id = '108'`;
    expect(row).toMatchObject({
      patient_status: null,
      city: 'Nul\uFFFDville',
      date_of_birth: null,
      raw: { id: 108, note: 'x\uFFFD\uFFFD' },
    });
    expect(
      warnings
        .entries()
        .map((w) => `${w.column}:${w.reason}`)
        .sort(),
    ).toEqual(['city:text_cleaned', 'date_of_birth:not_a_date', 'patient_status:not_allowed', 'raw:json_cleaned']);
  });
});

describe('softDeleteBatch', () => {
  it('marks rows deleted with a delete event, once, and a later upsert brings them back', async () => {
    const deleted = await inChangeTransaction(t.sql, context, (tx) =>
      softDeleteBatch(tx, mirrors.patients, ['102', 'does-not-exist']),
    );
    expect(deleted.map((d) => [d.drchronoId, d.op])).toEqual([['102', 'delete']]);
    expect(await inChangeTransaction(t.sql, context, (tx) => softDeleteBatch(tx, mirrors.patients, ['102']))).toEqual(
      [],
    );
    expect(await count(`SELECT count(*) n FROM outbox WHERE drchrono_id = '102' AND op = 'delete'`)).toBe(1);
    const back = await upsertRows(t.sql, mirrors.patients, [patient('102', '2026-03-01T10:00:00+00:00')], context);
    expect(back.map((c) => c.op)).toEqual(['update']);
    const [row] = await t.sql`SELECT deleted_at FROM patients WHERE drchrono_id = '102'`;
    expect(row!.deleted_at).toBeNull();
  });
});

describe('migrateDatabase', () => {
  it('is idempotent: a second run on a migrated database applies nothing', async () => {
    const before = await count(`SELECT count(*) n FROM drizzle.__drizzle_migrations`);
    await migrateDatabase(t.url);
    await migrateDatabase(t.url);
    expect(await count(`SELECT count(*) n FROM drizzle.__drizzle_migrations`)).toBe(before);
    expect(before).toBeGreaterThanOrEqual(2);
  });
});
