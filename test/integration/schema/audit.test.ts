import { is } from 'drizzle-orm';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as schema from '../../../schema/index.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';

const allTables = Object.values(schema as Record<string, unknown>)
  .filter((v): v is PgTable => is(v, PgTable))
  .map((t) => getTableConfig(t).name);
const auditedTables = allTables.filter((name) => !schema.unauditedTableNames.includes(name));

/** A valid row for every audited table and one column change to make to it. Parents d1/p1/a1 exist. */
const fixtures: Record<string, { row: Record<string, unknown>; update: Record<string, unknown> }> = {
  providers: {
    row: { drchrono_id: 'd-fixture', raw: { id: 1 }, last_name: 'Fixture' },
    update: { last_name: 'Renamed' },
  },
  patients: {
    row: { drchrono_id: 'p-fixture', raw: { id: 2 }, first_name: 'Ada', doctor: 'd1' },
    update: { first_name: 'Grace' },
  },
  insurance_records: {
    row: { drchrono_id: 'p1:primary', raw: {}, patient: 'p1', rank: 'primary' },
    update: { insurance_company: 'Acme' },
  },
  appointments: {
    row: { drchrono_id: 'a-fixture', raw: {}, patient: 'p1', status: 'Confirmed' },
    update: { status: 'Complete' },
  },
  clinical_notes: {
    row: { drchrono_id: 'n-fixture', raw: {}, appointment: 'a1', locked: true },
    update: { locked: false },
  },
  medications: {
    row: { drchrono_id: 'm-fixture', raw: {}, patient: 'p1', name: 'Sertraline' },
    update: { status: 'inactive' },
  },
  problems: {
    row: { drchrono_id: 'pr-fixture', raw: {}, patient: 'p1', icd_code: 'F41.1', icd_version: 10 },
    update: { status: 'resolved' },
  },
  allergies: {
    row: { drchrono_id: 'al-fixture', raw: {}, patient: 'p1', description: 'Penicillin' },
    update: { reaction: 'Rash' },
  },
  line_items: {
    row: { drchrono_id: 'li-fixture', raw: {}, appointment: 'a1', code: '99214', billed: 150 },
    update: { billing_status: 'Paid in Full' },
  },
  insurance_transactions: {
    row: { drchrono_id: 'tx-fixture', raw: {}, appointment: 'a1', line_item: 'li-fixture', ins_paid: 80 },
    update: { claim_status: '1' },
  },
  patient_payments: {
    row: { drchrono_id: 'pp-fixture', raw: {}, patient: 'p1', amount: 20 },
    update: { payment_method: 'CASH' },
  },
  claim_statuses: {
    row: {
      claim_key: 'a1:primary',
      appointment: 'a1',
      payer_rank: 'primary',
      status: 'submitted',
      status_source: 'test',
    },
    update: { status: 'paid' },
  },
  billing_reconciliations: {
    row: {
      appointment: 'a1',
      line_item_count: 1,
      charges: 150,
      insurance_paid: 0,
      insurance_posted: 0,
      patient_paid: 0,
      patient_posted: 0,
      refunds: 0,
      adjustments: 0,
      adjustments_posted: 0,
      balance: 150,
      needs_review: false,
    },
    update: { needs_review: true },
  },
  lab_orders: {
    row: { drchrono_id: 'lo-fixture', raw: {}, patient: 'p1', status: 'S' },
    update: { status: 'R' },
  },
  lab_tests: {
    row: { drchrono_id: 'lt-fixture', raw: {}, lab_order: 'lo-fixture', status: 'I' },
    update: { status: 'F' },
  },
  lab_results: {
    row: {
      drchrono_id: 'lr-fixture',
      raw: {},
      lab_order: 'lo-fixture',
      value: '1.6',
      severity: 'critical',
      severity_reason: 'flag:HH',
    },
    update: { status: 'C' },
  },
  lab_reviews: {
    row: { lab_result: 'lr-fixture', severity: 'critical', result_digest: 'd' },
    update: { acknowledged_by: 'dr@example.invalid' },
  },
  lab_order_statuses: {
    row: {
      lab_order: 'lo-fixture',
      result_count: 1,
      abnormal_count: 0,
      critical_count: 1,
      open_reviews: 1,
      review_state: 'open',
    },
    update: { review_state: 'reviewed' },
  },
  deepcura_notes: {
    row: { deepcura_note_id: 'dc-fixture', raw: {}, transcript: 'fake' },
    update: { link_status: 'linked_appointment' },
  },
  intake_checklists: { row: { patient: 'p1' }, update: { status: 'complete' } },
  post_appointment_tasks: { row: { appointment: 'a1', task_type: 'note_signoff' }, update: { status: 'done' } },
  prior_authorizations: {
    row: { patient: 'p1', service_description: 'Psychological testing' },
    update: { status: 'submitted' },
  },
  questionnaire_responses: { row: { patient: 'p1', instrument: 'PHQ-9', total_score: 12 }, update: { total_score: 9 } },
  consent_records: {
    row: { patient: 'p1', consent_type: 'telehealth', version: '2026-01', signed_at: '2026-01-05T10:00:00+00:00' },
    update: { document_ref: 'gs://consents/1.pdf' },
  },
  staff_roles: {
    row: { email: 'fixture@example.invalid', role: 'viewer', granted_by: 'admin@example.invalid' },
    update: { role: 'billing' },
  },
};

let t: TestDatabase;

/** postgres.js sends parameters as text; jsonb values go as their JSON text. */
const params = (row: Record<string, unknown>) =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, v !== null && typeof v === 'object' ? JSON.stringify(v) : v]),
  ) as Record<string, string>;

beforeAll(async () => {
  t = await createTestDatabase();
  await t.sql`INSERT INTO providers (drchrono_id, raw) VALUES ('d1', '{}')`;
  await t.sql`INSERT INTO patients (drchrono_id, raw, doctor) VALUES ('p1', '{}', 'd1')`;
  await t.sql`INSERT INTO appointments (drchrono_id, raw, patient) VALUES ('a1', '{}', 'p1')`;
});
afterAll(() => t.drop());

async function changes(table: string, rowId: number) {
  return t.sql<
    {
      op: string;
      before: Record<string, unknown> | null;
      after: Record<string, unknown> | null;
      changed_columns: string[];
      actor: string;
      request_id: string | null;
      txid: string;
    }[]
  >`
    SELECT op, before, after, changed_columns, actor, request_id, txid FROM change_log
    WHERE table_name = ${table} AND row_id = ${rowId} ORDER BY id`;
}

describe('the schema', () => {
  it('has a fixture for every clinical and operational table, so each one is exercised below', () => {
    expect(auditedTables.length).toBeGreaterThanOrEqual(15);
    expect(Object.keys(fixtures).sort()).toEqual([...auditedTables].sort());
  });

  it('puts the audit and updated_at triggers on every clinical and operational table', async () => {
    const rows = await t.sql<{ table: string; triggers: string[] }[]>`
      SELECT c.relname AS table, array_agg(tg.tgname::text ORDER BY tg.tgname) AS triggers
      FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid
      WHERE NOT tg.tgisinternal AND c.relname = ANY(${auditedTables}) GROUP BY c.relname`;
    const byTable = Object.fromEntries(rows.map((r) => [r.table, r.triggers]));
    for (const table of auditedTables) {
      expect(byTable[table], `${table} lacks audit triggers: call audit_attach('${table}') in its migration`).toEqual([
        'audit_delete',
        'audit_insert',
        'audit_update',
        'set_updated_at',
      ]);
    }
  });
});

describe.each(Object.keys(fixtures))('auditing %s', (table) => {
  const fixture = fixtures[table]!;
  let rowId: number;

  it('records an insert as exactly one change_log row with the new state', async () => {
    const [row] = await t.sql.begin(async (tx) => {
      await tx`SELECT set_config('app.actor', 'test:audit', true), set_config('app.request_id', 'req-1', true)`;
      return tx`INSERT INTO ${tx(table)} ${tx(params(fixture.row))} RETURNING *`;
    });
    rowId = Number(row!.id);
    const log = await changes(table, rowId);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ op: 'INSERT', before: null, actor: 'test:audit', request_id: 'req-1' });
    expect(log[0]!.after).toMatchObject({ id: rowId, ...fixture.row });
    // An insert sets every column: all of them are listed as changed.
    expect(log[0]!.changed_columns).toEqual(Object.keys(log[0]!.after!).sort());
    expect(Number(log[0]!.txid)).toBeGreaterThan(0);
  });

  it('records an update with before, after and only the changed columns, and moves updated_at', async () => {
    const [before] = await t.sql`SELECT * FROM ${t.sql(table)} WHERE id = ${rowId}`;
    await new Promise((r) => setTimeout(r, 5));
    const [after] =
      await t.sql`UPDATE ${t.sql(table)} SET ${t.sql(params(fixture.update))} WHERE id = ${rowId} RETURNING *`;
    expect(new Date(after!.updated_at).getTime()).toBeGreaterThan(new Date(before!.updated_at).getTime());
    const log = await changes(table, rowId);
    expect(log).toHaveLength(2);
    const update = log[1]!;
    expect(update.op).toBe('UPDATE');
    expect(update.changed_columns).toEqual(Object.keys(fixture.update).sort());
    const [column] = Object.keys(fixture.update);
    expect(update.after![column!]).toEqual(fixture.update[column!]);
    expect(update.before![column!]).not.toEqual(fixture.update[column!]);
    expect(update.after!.updated_at).not.toEqual(update.before!.updated_at);
  });

  it('records nothing for an update that changes no value', async () => {
    await t.sql`UPDATE ${t.sql(table)} SET ${t.sql(params(fixture.update))} WHERE id = ${rowId}`;
    expect(await changes(table, rowId)).toHaveLength(2);
  });

  it('records a delete with the state before it', async () => {
    await t.sql`DELETE FROM ${t.sql(table)} WHERE id = ${rowId}`;
    const log = await changes(table, rowId);
    expect(log).toHaveLength(3);
    expect(log[2]).toMatchObject({ op: 'DELETE', after: null });
    expect(log[2]!.before).toMatchObject({ id: rowId, ...fixture.update });
  });
});

describe('the audit trail', () => {
  it('refuses UPDATE, DELETE and TRUNCATE on change_log, even for the owner', async () => {
    await expect(t.sql`UPDATE change_log SET actor = 'someone else'`).rejects.toThrow(/append-only/);
    await expect(t.sql`DELETE FROM change_log`).rejects.toThrow(/append-only/);
    await expect(t.sql`TRUNCATE change_log`).rejects.toThrow(/append-only/);
    await expect(t.sql`DELETE FROM access_log`).rejects.toThrow(/append-only/);
  });

  it('gives the application role INSERT and SELECT on audit tables, SELECT only on change_log, and nothing more', async () => {
    await t.sql.begin(async (tx) => {
      await tx`SET LOCAL ROLE platform_app`;
      await tx`INSERT INTO access_log (service, method, path_template, status, duration_ms) VALUES ('drchrono', 'GET', '/api/patients', 200, 12)`;
      const [log] = await tx`INSERT INTO sync_log (kind, resource) VALUES ('full', 'patients') RETURNING id`;
      await tx`SELECT sync_log_finish(${log!.id}, 'succeeded', 10, 2, 0, 1, '2026-01-01T00:00:00Z', NULL)`;
      await tx`INSERT INTO processed_messages (message_id) VALUES ('m-role-test')`;
      await tx`SELECT count(*) FROM change_log`;
    });
    const denied = [
      `UPDATE change_log SET actor = 'x'`,
      `DELETE FROM change_log`,
      `UPDATE access_log SET status = 500`,
      `DELETE FROM access_log`,
      `UPDATE sync_log SET status = 'failed'`,
      `DELETE FROM sync_log`,
      `UPDATE processed_messages SET subscription = 'x'`,
      `DELETE FROM processed_messages`,
      `TRUNCATE processed_messages`,
      `INSERT INTO change_log (table_name, row_id, op, changed_columns, txid, actor) VALUES ('patients', 1, 'INSERT', '{}', 1, 'forger')`,
    ];
    for (const statement of denied) {
      await expect(
        t.sql.begin(async (tx) => {
          await tx`SET LOCAL ROLE platform_app`;
          await tx.unsafe(statement);
        }),
        statement,
      ).rejects.toThrow(/permission denied|append-only/);
    }
  });

  it('lets sync_log_finish close only a running row', async () => {
    const [log] =
      await t.sql`INSERT INTO sync_log (kind, resource) VALUES ('incremental', 'appointments') RETURNING id`;
    await t.sql`SELECT sync_log_finish(${log!.id}, 'failed', 5, 0, 0, 3, NULL, 'RateLimitedError')`;
    await t.sql`SELECT sync_log_finish(${log!.id}, 'succeeded', 99, 99, 0, 3, NULL, NULL)`;
    const [row] =
      await t.sql`SELECT status, records_seen, error_class, finished_at FROM sync_log WHERE id = ${log!.id}`;
    expect(row).toMatchObject({ status: 'failed', records_seen: 5, error_class: 'RateLimitedError' });
    expect(row!.finished_at).not.toBeNull();
  });

  it('writes an audit row when the application role changes clinical data', async () => {
    const [row] = await t.sql.begin(async (tx) => {
      await tx`SET LOCAL ROLE platform_app`;
      return tx`INSERT INTO patients (drchrono_id, raw) VALUES ('p-role', '{}') RETURNING id`;
    });
    expect(await changes('patients', Number(row!.id))).toHaveLength(1);
  });
});

describe('questionnaire scores', () => {
  const ranges = Object.entries(schema.instrumentScoreRanges);

  it.each(ranges)('accepts %s scores at both ends of its range', async (instrument, [min, max]) => {
    for (const score of [min, max]) {
      await t.sql`INSERT INTO questionnaire_responses (patient, instrument, total_score) VALUES ('p1', ${instrument}, ${score})`;
    }
  });

  it.each(ranges)('rejects %s scores outside its range', async (instrument, [min, max]) => {
    for (const score of [min - 1, max + 1]) {
      await expect(
        t.sql`INSERT INTO questionnaire_responses (patient, instrument, total_score) VALUES ('p1', ${instrument}, ${score})`,
      ).rejects.toThrow(/questionnaire_responses_score_check/);
    }
  });

  it('rejects an unknown instrument', async () => {
    await expect(
      t.sql`INSERT INTO questionnaire_responses (patient, instrument, total_score) VALUES ('p1', 'BDI-II', 10)`,
    ).rejects.toThrow(/questionnaire_responses_instrument_check/);
  });
});

describe('processed_messages cleanup', () => {
  it('removes only message ids older than 7 days', async () => {
    await t.sql`INSERT INTO processed_messages (message_id, processed_at) VALUES
      ('old-1', now() - interval '8 days'), ('old-2', now() - interval '7 days 1 minute'),
      ('recent-1', now() - interval '6 days 23 hours'), ('recent-2', now())`;
    const [{ removed }] = (await t.sql`SELECT processed_messages_cleanup() AS removed`) as unknown as [
      { removed: number },
    ];
    expect(removed).toBe(2);
    const left =
      await t.sql`SELECT message_id FROM processed_messages WHERE message_id IN ('old-1', 'old-2', 'recent-1', 'recent-2') ORDER BY 1`;
    expect(left.map((r) => r.message_id)).toEqual(['recent-1', 'recent-2']);
  });
});
