import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main.js';
import {
  anonymizeDatabase,
  anonymizeRegistry,
  anonymizeReport,
  AnonymizeSchemaError,
  AnonymizeTargetError,
  PseudonymKey,
  tableName,
} from '../../../sync/anonymize/index.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { APPOINTMENTS, IDENTIFIERS, PATIENTS } from './seed.js';
import { seedPhi } from './seed.js';

const KEY = 'test-key-0123456789abcdefghijklmnopqrstuvwxyz';
const OTHER_KEY = 'another-key-0123456789abcdefghijklmnopqrstuvw';
const TODAY = '2026-06-01';
const DAY = 86_400_000;

let source: TestDatabase;
let target: TestDatabase;
let sameKey: TestDatabase;
let otherKey: TestDatabase;
let strict: TestDatabase;
let scratch: string;
let cliOutput = '';

const copiedNames = anonymizeRegistry.filter((e) => e.copy).map((e) => tableName(e.table));
const skippedNames = anonymizeRegistry.filter((e) => !e.copy).map((e) => tableName(e.table));

beforeAll(async () => {
  const dbs = await Promise.all(Array.from({ length: 5 }, () => createTestDatabase({ maxConnections: 2 })));
  [source, target, sameKey, otherKey, strict] = dbs as [
    TestDatabase,
    TestDatabase,
    TestDatabase,
    TestDatabase,
    TestDatabase,
  ];
  await seedPhi(source.sql);
  await anonymizeDatabase({ source: source.sql, target: target.sql, key: new PseudonymKey(KEY), today: TODAY });
  // The same key again, through the command line (key file, report).
  scratch = await mkdtemp(path.join(os.tmpdir(), 'anonymize-'));
  await writeFile(path.join(scratch, 'key'), `${KEY}\n`);
  const code = await main(
    [
      'anonymize',
      '--from',
      source.url,
      '--to',
      sameKey.url,
      '--key-file',
      path.join(scratch, 'key'),
      '--report',
      path.join(scratch, 'report.md'),
    ],
    { env: {}, stdout: (t) => (cliOutput += t), stderr: (t) => (cliOutput += t) },
  );
  expect(code, cliOutput).toBe(0);
  await anonymizeDatabase({ source: source.sql, target: otherKey.sql, key: new PseudonymKey(OTHER_KEY), today: TODAY });
  await anonymizeDatabase({
    source: source.sql,
    target: strict.sql,
    key: new PseudonymKey(KEY),
    today: TODAY,
    strictDates: true,
  });
}, 180_000);

afterAll(async () => {
  await Promise.all([source, target, sameKey, otherKey, strict].map((db) => db?.drop()));
});

/** Every table in the public schema, each row cast to text. */
async function everyRowAsText(db: TestDatabase): Promise<Map<string, string[]>> {
  const tables = await db.sql<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
  const out = new Map<string, string[]>();
  for (const { table_name } of tables) {
    const rows = await db.sql.unsafe(`SELECT x::text AS t FROM "${table_name}" x`);
    out.set(
      table_name,
      rows.map((r) => r.t as string),
    );
  }
  return out;
}

const patientRow = (db: TestDatabase, n: number) =>
  db.sql`SELECT * FROM patients ORDER BY id LIMIT 1 OFFSET ${n}`.then((rows) => rows[0]!);

describe('platform anonymize', () => {
  it('leaves not one source identifier in any column of any table of the target, raw and audit trail included', async () => {
    const all = await everyRowAsText(target);
    expect(all.size).toBeGreaterThanOrEqual(anonymizeRegistry.length);
    const hits: string[] = [];
    let rows = 0;
    for (const [table, texts] of all) {
      rows += texts.length;
      for (const text of texts) {
        const lower = text.toLowerCase();
        for (const id of IDENTIFIERS) if (lower.includes(id.toLowerCase())) hits.push(`${table}: ${id}`);
      }
    }
    // The scan itself works: the source is full of them.
    const sourceHits = [...(await everyRowAsText(source)).values()]
      .flat()
      .filter((t) => IDENTIFIERS.some((id) => t.includes(id))).length;
    expect(sourceHits).toBeGreaterThan(50);
    expect(rows).toBeGreaterThan(60);
    expect(hits).toEqual([]);
  });

  it('keeps every copied table’s row count and copies none of the tables staging does not get', async () => {
    for (const name of copiedNames) {
      const [s] = await source.sql.unsafe(`SELECT count(*)::int AS n FROM "${name}"`);
      const [t] = await target.sql.unsafe(`SELECT count(*)::int AS n FROM "${name}"`);
      expect(t!.n, name).toBe(s!.n);
    }
    for (const name of skippedNames.filter((n) => n !== 'change_log')) {
      const [t] = await target.sql.unsafe(`SELECT count(*)::int AS n FROM "${name}"`);
      expect(t!.n, name).toBe(0);
    }
    // change_log holds only the load itself, as the anonymize actor.
    const actors = await target.sql`SELECT DISTINCT actor, op FROM change_log`;
    expect(actors).toEqual([{ actor: 'platform-anonymize', op: 'INSERT' }]);
  });

  it('keeps referential integrity: one pseudonym per patient everywhere, raw and Deep Cura links included', async () => {
    const [orphans] = await target.sql`
      SELECT (SELECT count(*) FROM appointments a LEFT JOIN patients p ON p.drchrono_id = a.patient WHERE p.id IS NULL)::int AS appointments,
             (SELECT count(*) FROM clinical_notes n LEFT JOIN appointments a ON a.drchrono_id = n.appointment WHERE a.id IS NULL)::int AS notes,
             (SELECT count(*) FROM insurance_transactions t LEFT JOIN line_items l ON l.drchrono_id = t.line_item WHERE l.id IS NULL)::int AS postings,
             (SELECT count(*) FROM claim_statuses c WHERE split_part(c.claim_key, ':', 1) <> c.appointment)::int AS claim_keys,
             (SELECT count(*) FROM claim_status_history h LEFT JOIN claim_statuses c USING (claim_key) WHERE c.id IS NULL)::int AS history,
             (SELECT count(*) FROM prior_authorizations pa LEFT JOIN insurance_records i ON i.id = pa.insurance_record_id WHERE i.patient <> pa.patient)::int AS prior_auths`;
    expect(orphans).toEqual({ appointments: 0, notes: 0, postings: 0, claim_keys: 0, history: 0, prior_auths: 0 });
    const [dc] = await target.sql`SELECT d.*, (d.raw ->> 'patient_id') AS raw_patient FROM deepcura_notes d`;
    expect(dc!.source_patient_id).toBe(dc!.patient);
    expect(dc!.source_appointment_id).toBe(dc!.appointment);
    expect(dc!.raw_patient).toBe(dc!.patient);
    const patients = await target.sql`SELECT drchrono_id, (raw ->> 'id') AS raw_id FROM patients`;
    for (const p of patients) {
      expect(p.raw_id).toBe(p.drchrono_id);
      expect(p.drchrono_id).toMatch(/^\d{15}$/);
    }
    // Per-patient visit counts survive (distributions).
    const counts = await target.sql`SELECT count(*)::int AS n FROM appointments GROUP BY patient ORDER BY 1`;
    expect(counts.map((c) => c.n)).toEqual([3, 3, 3]);
  });

  it('keeps codes, statuses and money amounts', async () => {
    const s = await source.sql`SELECT code, modifiers, price, billed, ins_total FROM line_items ORDER BY id`;
    const t = await target.sql`SELECT code, modifiers, price, billed, ins_total FROM line_items ORDER BY id`;
    expect(t).toEqual(s);
    const [rec] = await target.sql`SELECT charges, balance, claim_status FROM billing_reconciliations`;
    expect(rec).toEqual({ charges: '200.00', balance: '20.00', claim_status: 'paid' });
    const [problem] = await target.sql`SELECT icd_code, raw ->> 'icd_code' AS raw_icd FROM problems LIMIT 1`;
    expect(problem).toEqual({ icd_code: 'F33.1', raw_icd: 'F33.1' });
  });

  it('shifts every date of a patient by one offset: intervals kept, at most 180 days and one year away', async () => {
    const shifts = new Set<number>();
    for (const [slot, appts] of Object.entries(APPOINTMENTS)) {
      const mine = (
        await target.sql`SELECT a.scheduled_time FROM appointments a WHERE a.patient = (SELECT patient FROM appointments ORDER BY id LIMIT 1 OFFSET ${['a', 'b', 'c'].indexOf(slot) * 3}) ORDER BY a.id`
      ).map((r) => Date.parse((r.scheduled_time as string).replace(' ', 'T').replace(/\+00$/, 'Z')));
      const original = appts.map((a) => Date.parse(a.at.replace(' ', 'T').replace(/\+00$/, 'Z')));
      const shift = mine[0]! - original[0]!;
      for (let i = 0; i < 3; i++) expect(mine[i]! - original[i]!).toBe(shift);
      expect(Math.abs(shift % DAY)).toBe(0);
      expect(Math.abs(shift / DAY)).toBeGreaterThanOrEqual(1);
      expect(Math.abs(shift / DAY)).toBeLessThanOrEqual(180);
      for (let i = 0; i < 3; i++)
        expect(
          Math.abs(new Date(mine[i]!).getUTCFullYear() - new Date(original[i]!).getUTCFullYear()),
        ).toBeLessThanOrEqual(1);
      shifts.add(shift);
    }
    expect(shifts.size).toBeGreaterThan(1); // offsets differ between patients
    // The same patient's billing dates move with their visits.
    const [li] =
      await target.sql`SELECT l.service_date, a.scheduled_time FROM line_items l JOIN appointments a ON a.drchrono_id = l.appointment LIMIT 1`;
    expect((li!.scheduled_time as string).slice(0, 10)).toBe(li!.service_date);
  });

  it('keeps only the year of every date with --strict-dates', async () => {
    const rows = await strict.sql`SELECT scheduled_time FROM appointments`;
    for (const r of rows) expect(r.scheduled_time).toMatch(/^2025-01-01 00:00:00/);
    const dates = await strict.sql`SELECT service_date, posted_date FROM line_items`;
    for (const d of dates) expect(d.service_date).toBe('2025-01-01');
    const [raw] = await strict.sql`SELECT raw ->> 'scheduled_time' AS t FROM appointments LIMIT 1`;
    expect(raw!.t).toBe('2025-01-01T00:00:00');
  });

  it('generalises ZIP codes to three digits, 000 for restricted areas, and drops street and city', async () => {
    const byChart =
      await target.sql`SELECT zip_code, address, city, raw ->> 'zip_code' AS raw_zip, raw ->> 'address' AS raw_address FROM patients ORDER BY id`;
    expect(byChart.map((r) => r.zip_code)).toEqual(['021', '000', '902']);
    expect(byChart.map((r) => r.raw_zip)).toEqual(['021', '000', '902']);
    for (const r of byChart) expect([r.address, r.city, r.raw_address]).toEqual([null, null, null]);
  });

  it('puts everyone older than 89 into the 90+ bucket and shifts younger birth dates', async () => {
    const [a, b, c] = [await patientRow(target, 0), await patientRow(target, 1), await patientRow(target, 2)];
    expect(b.date_of_birth).toBe('1936-01-01');
    expect(b.raw.date_of_birth).toBe('1936-01-01');
    for (const [row, original] of [
      [a, PATIENTS.a.dob],
      [c, PATIENTS.c.dob],
    ] as const) {
      expect(row.date_of_birth).not.toBe(original);
      const days = (Date.parse(row.date_of_birth) - Date.parse(original)) / DAY;
      expect(Math.abs(days)).toBeLessThanOrEqual(180);
    }
    const [s] = await strict.sql`SELECT date_of_birth FROM patients ORDER BY id`;
    expect(s!.date_of_birth).toBe('1984-01-01');
  });

  it('gives the same pseudonyms with the same key and different ones with another key', async () => {
    const ids = async (db: TestDatabase) =>
      (await db.sql`SELECT drchrono_id, first_name, chart_id, email FROM patients ORDER BY id`).map((r) => ({ ...r }));
    const [first, again, other] = [await ids(target), await ids(sameKey), await ids(otherKey)];
    expect(again).toEqual(first);
    for (let i = 0; i < first.length; i++) {
      expect(other[i]!.drchrono_id).not.toBe(first[i]!.drchrono_id);
      expect(other[i]!.chart_id).not.toBe(first[i]!.chart_id);
      expect(other[i]!.email).not.toBe(first[i]!.email);
    }
  });

  it('replaces free text with placeholder text of the same length', async () => {
    const [s] = await source.sql`SELECT sections FROM clinical_notes ORDER BY id LIMIT 1`;
    const [t] = await target.sql`SELECT sections FROM clinical_notes ORDER BY id LIMIT 1`;
    expect(t!.sections).toHaveLength((s!.sections as string).length);
    expect(t!.sections).toMatch(/^Lorem ipsum/);
  });

  it('refuses a target that is not empty, and one that is not migrated, changing nothing', async () => {
    await expect(
      anonymizeDatabase({ source: source.sql, target: target.sql, key: new PseudonymKey(KEY) }),
    ).rejects.toThrow(AnonymizeTargetError);
    await expect(
      anonymizeDatabase({ source: source.sql, target: target.sql, key: new PseudonymKey(KEY) }),
    ).rejects.toThrow(/not empty.*patients/);
    const [n] = await target.sql`SELECT count(*)::int AS n FROM patients`;
    expect(n!.n).toBe(3);
    let out = '';
    const code = await main(['anonymize', '--from', source.url, '--to', target.url], {
      env: { ANONYMIZE_KEY: KEY },
      stdout: (t) => (out += t),
      stderr: (t) => (out += t),
    });
    expect(code).toBe(1);
    expect(out).toMatch(/target database is not empty/);

    const unmigrated = await createTestDatabase({ maxConnections: 1 });
    try {
      await unmigrated.sql`DROP TABLE consent_records`;
      await expect(
        anonymizeDatabase({ source: source.sql, target: unmigrated.sql, key: new PseudonymKey(KEY) }),
      ).rejects.toThrow(/target database is not migrated.*consent_records.*platform migrate/);
    } finally {
      await unmigrated.drop();
    }
  });

  it('without a source (the cloud job before a point-in-time clone is declared) stops before touching the target', async () => {
    let out = '';
    const code = await main(['anonymize'], {
      env: { ANONYMIZE_KEY: KEY, ANONYMIZE_TARGET_URL: target.url, ANONYMIZE_TARGET_AUTH: 'password' },
      stdout: (t) => (out += t),
      stderr: (t) => (out += t),
    });
    expect(code).toBe(64);
    expect(out).toMatch(/--from \(or ANONYMIZE_SOURCE_URL\) is required/);
    expect(out).toMatch(/point-in-time clone of prod, never prod itself.*sourcePointInTime.*anonymize-staging\.md/s);
    const [n] = await target.sql`SELECT count(*)::int AS n FROM patients`;
    expect(n!.n).toBe(3);
  });

  it('refuses a database with a table or column the registry has no rule for', async () => {
    const drifted = await createTestDatabase({ maxConnections: 1 });
    try {
      await drifted.sql`ALTER TABLE patients ADD COLUMN ssn text`;
      await drifted.sql`CREATE TABLE lab_comments (id bigserial PRIMARY KEY, comment text)`;
      const error = await anonymizeDatabase({
        source: source.sql,
        target: drifted.sql,
        key: new PseudonymKey(KEY),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AnonymizeSchemaError);
      expect(String(error)).toMatch(/table lab_comments has no anonymization rules/);
      expect(String(error)).toMatch(/column patients\.ssn has no anonymization rule/);
      const [n] = await drifted.sql`SELECT count(*)::int AS n FROM patients`;
      expect(n!.n).toBe(0);
    } finally {
      await drifted.drop();
    }
  });

  it('writes the report with --report and prints a line per table', async () => {
    expect(await readFile(path.join(scratch, 'report.md'), 'utf8')).toBe(anonymizeReport());
    expect(cliOutput).toMatch(/^patients\s+3 rows/m);
    expect(cliOutput).toMatch(/anonymized \d+ rows in \d+ tables/);
  });
});
