import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  billAppointment,
  denyClaim,
  payClaim,
  postPatientPayment,
  refundPatientPayment,
  resubmitClaim,
} from '../../../sandbox/drchrono/revenue-cycle.js';
import { syncCommand } from '../../../cli/commands/sync.js';
import { DEFAULT_CLIENT } from '../../../sandbox/drchrono/index.js';
import { syncAll, syncBilling, syncResource, type SyncDeps } from '../../../sync/drchrono/sync.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { startHarness, type Harness } from '../drchrono/helpers.js';

// Billing on real PostgreSQL 16 against the DrChrono sandbox: full sync, claim status history, reconciliation,
// refunds, deletions found by polling, and the bad inputs the issue lists (webhook cases: billing-webhooks.test.ts).

const TZ = 'America/New_York';
const PATIENTS = 40;
let t: TestDatabase;
let h: Harness;

beforeAll(async () => {
  t = await createTestDatabase();
  h = await startHarness({ patientCount: PATIENTS, seed: 23 });
  await h.seedTokens();
});
afterAll(async () => {
  await h.close();
  await t.drop();
});

const deps = (): SyncDeps => ({
  sql: t.sql,
  client: h.instance(t.sql).client,
  logger: h.logger,
  timeZone: TZ,
  clock: h.time.clock,
});
const count = async (table: string, where = 'true') =>
  Number((await t.sql.unsafe(`SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0]!.n);
/** An incremental billing cycle a little later (DrChrono's timestamps move with the shared fake clock). */
async function nextCycle() {
  h.time.advance(15 * 60_000);
  return syncBilling(deps(), 'incremental');
}
const claim = async (appointment: string, rank = 'primary') =>
  (await t.sql`SELECT * FROM claim_statuses WHERE claim_key = ${`${appointment}:${rank}`}`)[0];
const reconciliation = async (appointment: string) =>
  (await t.sql`SELECT * FROM billing_reconciliations WHERE appointment = ${appointment}`)[0];
const history = async (appointment: string) =>
  (
    await t.sql`SELECT from_status, to_status FROM claim_status_history
                WHERE claim_key = ${`${appointment}:primary`} ORDER BY id`
  ).map((r) => `${String(r.from_status)}→${String(r.to_status)}`);

/** A completed visit of patient `index` created now (integer id, no billing yet). */
function newVisit(index: number): string {
  const patient = h.sandbox.control.get('patients', 1_000_000 + index)!;
  const visit = h.sandbox.control.create('appointments', {
    patient: patient['id'],
    doctor: patient['doctor'],
    scheduled_time: h.sandbox.control.nowTimestamp(),
    status: 'Complete',
    billing_status: '',
    ins1_status: '',
    ins2_status: '',
  });
  return String(visit['id']);
}

describe('full sync of billing', () => {
  it('mirrors every line item, posting and payment, and derives claims and reconciliations', async () => {
    const results = await syncAll(deps(), 'full');
    const seen = (r: string) => results.find((x) => x.resource === r)!;
    expect(await count('line_items')).toBe(h.sandbox.control.count('line_items'));
    expect(await count('insurance_transactions')).toBe(h.sandbox.control.count('transactions'));
    expect(await count('patient_payments')).toBe(h.sandbox.control.count('patient_payments'));
    expect(seen('line_items').seen).toBe(h.sandbox.control.count('line_items'));
    expect(await count('line_items')).toBeGreaterThan(PATIENTS);

    // Every appointment with a line item has a primary claim and a reconciliation; all statuses are from the list.
    expect(await count('claim_statuses', `payer_rank = 'primary'`)).toBeGreaterThanOrEqual(
      Number(
        (await t.sql`SELECT count(DISTINCT appointment)::int AS n FROM line_items WHERE deleted_at IS NULL`)[0]!.n,
      ),
    );
    const statuses = (await t.sql`SELECT DISTINCT status FROM claim_statuses`).map((r) => String(r.status));
    expect(statuses.length).toBeGreaterThan(2);
    expect(await count('billing_reconciliations')).toBeGreaterThan(0);
    // Money is exact: numeric(12,2), never a float.
    const [types] = await t.sql`SELECT pg_typeof(billed)::text AS billed FROM line_items LIMIT 1`;
    expect(types!.billed).toBe('numeric');
  });

  it('a second full run changes nothing and announces nothing', async () => {
    const outbox = await count('outbox');
    const history = await count('claim_status_history');
    await syncAll(deps(), 'full');
    expect(await count('outbox')).toBe(outbox);
    expect(await count('claim_status_history')).toBe(history);
  });
});

describe('claim status', () => {
  it('keeps the history of a claim denied, resubmitted and paid', async () => {
    const visit = newVisit(1);
    billAppointment(h.sandbox.control, visit, { codes: ['99214', '90833'] });
    await nextCycle();
    expect(await claim(visit)).toMatchObject({ status: 'submitted', payer_rank: 'primary' });

    denyClaim(h.sandbox.control, visit, { carc: '197' });
    await nextCycle();
    expect(await claim(visit)).toMatchObject({ status: 'denied', denial_reasons: 'CO-197' });
    expect((await reconciliation(visit))!.claim_status).toBe('denied');

    resubmitClaim(h.sandbox.control, visit);
    await nextCycle();
    expect((await claim(visit))!.status).toBe('submitted');

    payClaim(h.sandbox.control, visit, { insPaid: 180, patientResponsibility: 0 });
    await nextCycle();
    expect((await claim(visit))!.status).toBe('paid');
    expect(await history(visit)).toEqual(['null→submitted', 'submitted→denied', 'denied→submitted', 'submitted→paid']);
    // The audit trail has each change of the derived row with before and after.
    const audited = await t.sql`SELECT before->>'status' AS before, after->>'status' AS after FROM change_log
                                WHERE table_name = 'claim_statuses' AND row_id = ${(await claim(visit))!.id} AND op = 'UPDATE'
                                ORDER BY id`;
    expect(audited.map((r) => `${String(r.before)}→${String(r.after)}`)).toContain('denied→submitted');
  });
});

describe('reconciliation', () => {
  it('balances when postings and payments agree with the line items, and says why when they do not', async () => {
    const visit = newVisit(2);
    const patientId = 1_000_002;
    billAppointment(h.sandbox.control, visit, { codes: ['90837'] });
    payClaim(h.sandbox.control, visit, { insPaid: 120, patientResponsibility: 30 });
    postPatientPayment(h.sandbox.control, { patientId, appointmentId: visit, amount: 30, type: 'COPAY' });
    await nextCycle();
    const balanced = (await reconciliation(visit))!;
    expect(balanced).toMatchObject({ needs_review: false, review_reason: null, balance: '0.00' });
    expect(balanced.insurance_paid).toBe('120.00');
    expect(balanced.insurance_posted).toBe('120.00');
    expect(balanced.patient_posted).toBe('30.00');
    expect((await claim(visit))!.status).toBe('paid');

    // A posting DrChrono has on file that the line item does not reflect (e.g. a second ERA applied by hand).
    const [line] = h.sandbox.control.find('line_items', { appointment: visit });
    h.sandbox.control.create('transactions', {
      line_item: line!['id'],
      appointment: Number(visit),
      patient: patientId,
      doctor: line!['doctor'],
      ins_name: 1,
      insurance: { id_number: 'X', name: 'Testcare Health Plan', message: '' },
      ins_paid: 10,
      adjustment: 0,
      adjustment_group_code: '',
      adjustment_reason: '',
      claim_status: '1',
      trace_number: 'EFTEXTRA',
      check_date: h.sandbox.control.nowTimestamp().slice(0, 10),
      posted_date: h.sandbox.control.nowTimestamp().slice(0, 10),
    });
    await nextCycle();
    const unbalanced = (await reconciliation(visit))!;
    expect(unbalanced.needs_review).toBe(true);
    expect(unbalanced.review_reason).toContain('insurance paid on line items 120.00 ≠ posted 130.00');
  });

  it('counts a refund against the patient payments', async () => {
    const visit = newVisit(3);
    billAppointment(h.sandbox.control, visit, { codes: ['99213'] });
    payClaim(h.sandbox.control, visit, { insPaid: 70, patientResponsibility: 25 });
    const { payment } = postPatientPayment(h.sandbox.control, {
      patientId: 1_000_003,
      appointmentId: visit,
      amount: 40, // overpaid by 15
    });
    await nextCycle();
    expect((await reconciliation(visit))!.patient_posted).toBe('40.00');
    refundPatientPayment(h.sandbox.control, Number(payment['id']));
    postPatientPayment(h.sandbox.control, { patientId: 1_000_003, appointmentId: visit, amount: 25 });
    await nextCycle();
    const after = (await reconciliation(visit))!;
    expect(after).toMatchObject({ refunds: '40.00', patient_posted: '25.00', patient_paid: '25.00' });
    expect(after.needs_review).toBe(false);
  });
});

describe('deletions and links', () => {
  it('finds a deleted line item by polling line_item_deletions, and recomputes the figures', async () => {
    const visit = newVisit(4);
    const { lineItems } = billAppointment(h.sandbox.control, visit, { codes: ['99214', '96127'] });
    await nextCycle();
    expect((await reconciliation(visit))!.line_item_count).toBe(2);
    const gone = String(lineItems[1]!['id']);
    h.sandbox.control.remove('line_items', gone);
    const results = await nextCycle();
    expect(results.find((r) => r.resource === 'line_item_deletions')!.deleted).toBe(1);
    expect((await t.sql`SELECT deleted_at FROM line_items WHERE drchrono_id = ${gone}`)[0]!.deleted_at).not.toBeNull();
    expect(await count('outbox', `table_name = 'line_items' AND op = 'delete' AND drchrono_id = '${gone}'`)).toBe(1);
    expect((await reconciliation(visit))!.line_item_count).toBe(1);
  });

  it('finds a deleted patient payment through the payment log (a per-patient re-read)', async () => {
    const visit = newVisit(5);
    billAppointment(h.sandbox.control, visit, { codes: ['99213'] });
    const { payment } = postPatientPayment(h.sandbox.control, {
      patientId: 1_000_005,
      appointmentId: visit,
      amount: 20,
    });
    await nextCycle();
    expect((await reconciliation(visit))!.patient_posted).toBe('20.00');
    h.sandbox.control.remove('patient_payments', Number(payment['id']));
    await nextCycle();
    const [row] = await t.sql`SELECT deleted_at FROM patient_payments WHERE drchrono_id = ${String(payment['id'])}`;
    expect(row!.deleted_at).not.toBeNull();
    expect((await reconciliation(visit))!.patient_posted).toBe('0.00');
  });

  it('stores a posting for a line item not synced yet and links it when the line item arrives', async () => {
    const visit = newVisit(6);
    billAppointment(h.sandbox.control, visit, { codes: ['90834'] });
    payClaim(h.sandbox.control, visit, { insPaid: 90, patientResponsibility: 0 });
    h.time.advance(15 * 60_000);
    await syncResource(deps(), 'appointments', 'incremental');
    await syncResource(deps(), 'transactions', 'incremental'); // postings first: the line item is unknown
    const early = (await reconciliation(visit))!;
    expect(early.needs_review).toBe(true);
    expect(early.review_reason).toContain('insurance posting for a line item not synced yet or deleted');
    await syncResource(deps(), 'line_items', 'incremental');
    expect(await reconciliation(visit)).toMatchObject({ needs_review: false, insurance_posted: '90.00' });
  });

  it('stores a payment on account (no appointment, no line item) without a reconciliation', async () => {
    const before = await count('billing_reconciliations');
    const { payment } = postPatientPayment(h.sandbox.control, { patientId: 1_000_007, amount: 50 });
    await nextCycle();
    const [row] =
      await t.sql`SELECT appointment, amount::text FROM patient_payments WHERE drchrono_id = ${String(payment['id'])}`;
    expect(row).toEqual({ appointment: null, amount: '50.00' });
    expect(await count('billing_reconciliations')).toBe(before);
  });
});

describe('deep reconcile and the CLI', () => {
  it('the deep reconcile soft-deletes a posting DrChrono dropped without any log or webhook', async () => {
    const [posting] = await t.sql<{ drchrono_id: string; appointment: string }[]>`
      SELECT drchrono_id, appointment FROM insurance_transactions WHERE deleted_at IS NULL AND appointment IS NOT NULL
      ORDER BY id LIMIT 1`;
    h.sandbox.control.remove('transactions', posting!.drchrono_id);
    await nextCycle(); // no webhook, no log entry: an incremental cycle cannot see it
    expect(
      await count('insurance_transactions', `drchrono_id = '${posting!.drchrono_id}' AND deleted_at IS NULL`),
    ).toBe(1);
    await syncAll(deps(), 'deep_reconcile');
    expect(
      await count('insurance_transactions', `drchrono_id = '${posting!.drchrono_id}' AND deleted_at IS NULL`),
    ).toBe(0);
    // The figures it counted in were recomputed in the same transaction.
    const [again] =
      await t.sql`SELECT insurance_posted::text FROM billing_reconciliations WHERE appointment = ${posting!.appointment}`;
    const [posted] = await t.sql`SELECT coalesce(sum(ins_paid), 0)::numeric(12,2)::text AS s FROM insurance_transactions
                                 WHERE deleted_at IS NULL AND appointment = ${posting!.appointment}`;
    expect(again!.insurance_posted).toBe(posted!.s);
  });

  it('`platform sync billing` runs the billing sync and prints one line per resource', async () => {
    let out = '';
    const code = await syncCommand(['billing'], {
      env: {
        DATABASE_URL: t.url,
        DRCHRONO_BASE_URL: h.sandbox.url,
        DRCHRONO_CLIENT_ID: DEFAULT_CLIENT.clientId,
        DRCHRONO_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
        DRCHRONO_TOKEN_STORE: `file:${h.tokenFile}`,
        LOG_LEVEL: 'silent',
      },
      stdout: (text) => (out += text),
      stderr: (text) => (out += text),
    });
    expect(code).toBe(0);
    for (const resource of [
      'line_items',
      'transactions',
      'patient_payments',
      'line_item_deletions',
      'patient_payment_log',
    ])
      expect(out).toMatch(new RegExp(`^\\s+${resource}\\s+incremental`, 'm'));
  });
});
