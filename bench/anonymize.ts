import { spawn } from 'node:child_process';
import { once } from 'node:events';
import postgres from 'postgres';
import { anonymizeDatabase, anonymizeRegistry, PseudonymKey, tableName } from '../sync/anonymize/index.js';
import { createDatabase } from '../sync/db/client.js';
import { migrateDatabase } from '../sync/db/migrate.js';
import { round, withBenchDatabase, type BenchResult } from './harness.js';

// `platform anonymize` of a generated practice against the yardstick: a plain COPY (psql, COPY TO STDOUT piped into
// COPY FROM STDIN) of the same tables from the same source into another migrated database (same triggers and indexes,
// no transformation) in the same run.

const PATIENTS = Number(process.env.BENCH_ANONYMIZE_PATIENTS ?? 20_000);

/** A practice of `n` patients: per patient 5 appointments with locked notes and a line item each, postings, a payment, a Deep Cura note. */
async function generate(sql: postgres.Sql, n: number): Promise<void> {
  await sql`INSERT INTO providers (drchrono_id, raw, first_name, last_name, email, npi_number)
    SELECT (500 + i)::text, jsonb_build_object('id', 500 + i, 'first_name', 'Doc' || i, 'last_name', 'Bench', 'npi_number', (1000000000 + i)::text),
      'Doc' || i, 'Bench', 'doc' || i || '@example.test', (1000000000 + i)::text FROM generate_series(0, 19) i`;
  await sql`INSERT INTO patients (drchrono_id, raw, chart_id, first_name, last_name, date_of_birth, email, cell_phone, address, city, state, zip_code, patient_status, doctor, source_updated_at)
    SELECT (1000000 + i)::text,
      jsonb_build_object('id', 1000000 + i, 'chart_id', 'CH' || i, 'first_name', 'First' || i, 'last_name', 'Last' || i,
        'date_of_birth', (date '1930-01-01' + (i * 7919 % 30000))::text, 'email', 'p' || i || '@example.test', 'cell_phone', '617-555-' || lpad((i % 10000)::text, 4, '0'),
        'address', i || ' Bench St', 'city', 'Springfield', 'state', 'MA', 'zip_code', lpad((i % 99999)::text, 5, '0'),
        'social_security_number', '000-00-' || lpad((i % 10000)::text, 4, '0'), 'patient_status', 'A', 'doctor', 500 + i % 20,
        'primary_insurance', jsonb_build_object('insurance_company', 'Blue Cross', 'insurance_id_number', 'M' || i), 'updated_at', '2025-01-01T00:00:00'),
      'CH' || i, 'First' || i, 'Last' || i, date '1930-01-01' + (i * 7919 % 30000), 'p' || i || '@example.test', '617-555-0100',
      i || ' Bench St', 'Springfield', 'MA', lpad((i % 99999)::text, 5, '0'), 'A', (500 + i % 20)::text, '2025-01-01 00:00:00+00'
    FROM generate_series(1, ${n}) i`;
  await sql`INSERT INTO insurance_records (drchrono_id, raw, patient, rank, insurance_company, insurance_id_number, subscriber_first_name, subscriber_last_name)
    SELECT (1000000 + i)::text || ':primary', jsonb_build_object('insurance_company', 'Blue Cross', 'insurance_id_number', 'M' || i),
      (1000000 + i)::text, 'primary', 'Blue Cross', 'M' || i, 'First' || i, 'Last' || i FROM generate_series(1, ${n}) i`;
  await sql`INSERT INTO appointments (drchrono_id, raw, patient, doctor, scheduled_time, duration, status, billing_status, reason, source_updated_at)
    SELECT (10000000 + i * 5 + k)::text,
      jsonb_build_object('id', 10000000 + i * 5 + k, 'patient', 1000000 + i, 'doctor', 500 + i % 20, 'scheduled_time', (timestamp '2025-01-06 09:00' + (k * 14 + i % 7) * interval '1 day')::text,
        'status', 'Complete', 'reason', 'Follow-up visit for patient ' || i),
      (1000000 + i)::text, (500 + i % 20)::text, timestamptz '2025-01-06 09:00+00' + (k * 14 + i % 7) * interval '1 day', 50, 'Complete', 'Billed',
      'Follow-up visit for patient ' || i, '2025-01-06 00:00:00+00'
    FROM generate_series(1, ${n}) i, generate_series(0, 4) k`;
  await sql`INSERT INTO clinical_notes (drchrono_id, raw, appointment, patient, doctor, locked, sections)
    SELECT a.drchrono_id, jsonb_build_object('id', a.drchrono_id::bigint, 'appointment', a.drchrono_id::bigint, 'patient', a.patient::bigint,
        'clinical_note_sections', jsonb_build_array(jsonb_build_object('name', 'HPI', 'values', jsonb_build_array(jsonb_build_object('value', repeat('Patient reports improved sleep and mood. ', 6)))))),
      a.drchrono_id, a.patient, a.doctor, true, repeat('HPI: patient reports improved sleep and mood. Plan: continue. ', 5)
    FROM appointments a`;
  await sql`INSERT INTO line_items (drchrono_id, raw, appointment, patient, doctor, code, price, billed, ins_total, pt_paid, service_date, posted_date)
    SELECT a.drchrono_id, jsonb_build_object('id', a.drchrono_id::bigint, 'appointment', a.drchrono_id::bigint, 'code', '90837', 'price', '180.00'),
      a.drchrono_id, a.patient, a.doctor, '90837', 180, 180, 120, 30, a.scheduled_time::date, a.scheduled_time::date + 2
    FROM appointments a`;
  await sql`INSERT INTO insurance_transactions (drchrono_id, raw, line_item, appointment, patient, ins_paid, claim_status, trace_number, posted_date)
    SELECT 'T' || l.drchrono_id, jsonb_build_object('id', 'T' || l.drchrono_id, 'line_item', l.drchrono_id::bigint, 'ins_paid', '120.00', 'trace_number', 'EFT' || l.id),
      l.drchrono_id, l.appointment, l.patient, 120, '1', 'EFT' || l.id, l.service_date + 14
    FROM line_items l WHERE l.id % 2 = 0`;
  await sql`INSERT INTO patient_payments (drchrono_id, raw, patient, appointment, line_item, amount, payment_method, notes, received_date)
    SELECT 'P' || l.drchrono_id, jsonb_build_object('id', 'P' || l.drchrono_id, 'amount', '30.00', 'notes', 'copay at front desk'),
      l.patient, l.appointment, l.drchrono_id, 30, 'CREDIT', 'copay at front desk', l.service_date
    FROM line_items l WHERE l.id % 5 = 0`;
  await sql`INSERT INTO deepcura_notes (deepcura_note_id, source_appointment_id, source_patient_id, visit_date, transcript, soap_subjective, soap_plan, raw, appointment, patient, link_status)
    SELECT 'dc' || a.id, a.drchrono_id, a.patient, a.scheduled_time::date, repeat('Clinician and patient discuss the week. ', 25), 'Better sleep', 'Continue',
      jsonb_build_object('note_id', 'dc' || a.id, 'appointment_id', a.drchrono_id, 'patient_id', a.patient, 'transcript', repeat('Clinician and patient discuss the week. ', 25)),
      a.drchrono_id, a.patient, 'linked_appointment'
    FROM appointments a WHERE a.id % 5 = 0`;
}

export async function benchAnonymize(): Promise<BenchResult> {
  return withBenchDatabase(async ({ sql, url }) => {
    const admin = postgres(url.replace(/\/bench(\?|$)/, '/postgres$1'), { max: 1, onnotice: () => {} });
    await admin`CREATE DATABASE anon_target`;
    await admin`CREATE DATABASE copy_target`;
    await admin.end();
    const targetUrl = url.replace(/\/bench(\?|$)/, '/anon_target$1');
    const copyUrl = url.replace(/\/bench(\?|$)/, '/copy_target$1');
    await migrateDatabase(targetUrl);
    await migrateDatabase(copyUrl);
    const genStart = performance.now();
    await generate(sql, PATIENTS);
    await sql`ANALYZE`;
    const generateSeconds = (performance.now() - genStart) / 1000;

    const copied = anonymizeRegistry.filter((e) => e.copy);
    // The yardstick runs psql's COPY between the two servers' databases: source COPY TO STDOUT piped into target
    // COPY FROM STDIN, table by table, no transformation.
    let copyRows = 0;
    const copyStart = performance.now();
    for (const entry of copied) {
      const name = tableName(entry.table);
      const cols = Object.keys(entry.columns)
        .map((c) => `"${c}"`)
        .join(', ');
      const out = spawn('psql', [url, '-qAtc', `COPY (SELECT ${cols} FROM "${name}" ORDER BY id) TO STDOUT`], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const into = spawn('psql', [copyUrl, '-qAtc', `COPY "${name}" (${cols}) FROM STDIN`], {
        stdio: ['pipe', 'ignore', 'inherit'],
      });
      out.stdout.pipe(into.stdin);
      const codes = await Promise.all([once(out, 'close'), once(into, 'close')]);
      if (codes.some(([code]) => code !== 0)) throw new Error(`psql COPY of ${name} failed`);
    }
    const copySeconds = (performance.now() - copyStart) / 1000;
    const check = postgres(copyUrl, { max: 1, onnotice: () => {} });
    for (const entry of copied) {
      const [row] = await check.unsafe(`SELECT count(*)::int AS n FROM "${tableName(entry.table)}"`);
      copyRows += row!.n as number;
    }
    await check.end();

    const target = createDatabase({ url: targetUrl, maxConnections: 1 });
    let result;
    try {
      result = await anonymizeDatabase({
        source: sql,
        target: target.sql,
        key: new PseudonymKey('bench-key-0123456789abcdefghijklmnopqrstuvwxyz'),
      });
    } finally {
      await target.close();
    }
    if (result.rows !== copyRows) throw new Error(`row counts differ: anonymize ${result.rows}, COPY ${copyRows}`);
    const anonymizeRate = result.rows / result.seconds;
    const copyRate = copyRows / copySeconds;
    return {
      name: `platform anonymize vs COPY (${PATIENTS} patients, ${result.rows} rows in ${result.tables.length} tables)`,
      figures: {
        rows: result.rows,
        generate_s: round(generateSeconds, 1),
        anonymize_s: round(result.seconds, 1),
        anonymize_rows_per_s: round(anonymizeRate),
        copy_s: round(copySeconds, 1),
        copy_rows_per_s: round(copyRate),
        ratio_to_copy: round(anonymizeRate / copyRate, 3),
        ...Object.fromEntries(
          result.tables.filter((t) => t.rows > 0).map((t) => [`${t.table}_rows_per_s`, round(t.rows / t.seconds)]),
        ),
      },
    };
  });
}
