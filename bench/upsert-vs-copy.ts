import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mirrors, type MirrorRows } from '../sync/mirrors.js';
import { upsertRows } from '../sync/upsert.js';
import { round, withBenchDatabase, type BenchResult } from './harness.js';

const ROWS = Number(process.env.BENCH_UPSERT_ROWS ?? 100_000);
const BATCH = 250;
const COLUMNS = [
  'drchrono_id',
  'first_name',
  'last_name',
  'date_of_birth',
  'email',
  'cell_phone',
  'city',
  'state',
  'zip_code',
  'patient_status',
  'raw',
  'source_updated_at',
] as const;

/** A synthetic patient row shaped like the mirror's (about 600 bytes of raw JSON, like a DrChrono patient). */
function syntheticPatient(i: number): MirrorRows['patients'] {
  const updatedAt = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  const raw = {
    id: 1_000_000 + i,
    chart_id: `TEST${i}`,
    first_name: `Bench${i}`,
    last_name: 'Testperson',
    date_of_birth: '1980-01-01',
    gender: 'Other',
    email: `bench${i}@example.invalid`,
    cell_phone: '555-0100',
    address: `${i} Fake Street`,
    city: 'Springfield',
    state: 'IL',
    zip_code: '62701',
    patient_status: 'A',
    doctor: null,
    primary_insurance: { insurance_company: 'Fake Mutual', insurance_id_number: `F${i}` },
    custom_demographics: [],
    patient_flags: [],
    updated_at: updatedAt,
  };
  return {
    drchrono_id: String(1_000_000 + i),
    first_name: raw.first_name,
    last_name: raw.last_name,
    date_of_birth: raw.date_of_birth,
    email: raw.email,
    cell_phone: raw.cell_phone,
    city: raw.city,
    state: raw.state,
    zip_code: raw.zip_code,
    patient_status: 'A',
    raw,
    source_updated_at: updatedAt,
  };
}

const csv = (value: unknown) => {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return `"${text.replaceAll('"', '""')}"`;
};

/**
 * The foundation's upsert primitive (batches of 250, each its own transaction, with audit triggers and outbox rows)
 * against the yardstick: COPY of the same rows into an empty copy of the table on the same server.
 */
export async function benchUpsertVsCopy(): Promise<BenchResult> {
  return withBenchDatabase(async ({ sql }) => {
    const rows = Array.from({ length: ROWS }, (_, i) => syntheticPatient(i));

    await sql`CREATE TABLE patients_copy (LIKE patients INCLUDING ALL)`;
    const copyStart = performance.now();
    const writable =
      await sql`COPY patients_copy (${sql(COLUMNS as unknown as string[])}) FROM STDIN WITH (FORMAT csv)`.writable();
    await pipeline(
      Readable.from(
        (function* () {
          for (const row of rows) yield `${COLUMNS.map((c) => csv(row[c])).join(',')}\n`;
        })(),
      ),
      writable,
    );
    const copySeconds = (performance.now() - copyStart) / 1000;

    const upsertStart = performance.now();
    for (let i = 0; i < rows.length; i += BATCH) {
      await upsertRows(sql, mirrors.patients, rows.slice(i, i + BATCH), { actor: 'bench' });
    }
    const upsertSeconds = (performance.now() - upsertStart) / 1000;

    const [{ n: copied }] = (await sql`SELECT count(*)::int AS n FROM patients_copy`) as unknown as [{ n: number }];
    const [{ n: upserted }] = (await sql`SELECT count(*)::int AS n FROM patients`) as unknown as [{ n: number }];
    if (copied !== ROWS || upserted !== ROWS)
      throw new Error(`row counts differ: copy ${copied}, upsert ${upserted}, expected ${ROWS}`);

    const replayStart = performance.now();
    for (let i = 0; i < rows.length; i += BATCH) {
      await upsertRows(sql, mirrors.patients, rows.slice(i, i + BATCH), { actor: 'bench' });
    }
    const replaySeconds = (performance.now() - replayStart) / 1000;

    const upsertRate = ROWS / upsertSeconds;
    const copyRate = ROWS / copySeconds;
    return {
      name: `upsert primitive vs COPY (${ROWS} patients, batches of ${BATCH})`,
      figures: {
        upsert_rows_per_s: round(upsertRate),
        copy_rows_per_s: round(copyRate),
        ratio_to_copy: round(upsertRate / copyRate, 3),
        goal_ratio: '>= 0.25',
        replay_noop_rows_per_s: round(ROWS / replaySeconds),
      },
    };
  });
}
