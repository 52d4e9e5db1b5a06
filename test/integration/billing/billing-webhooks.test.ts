import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseApp } from '../../../handlers/app.js';
import { drchronoWebhookRoutes } from '../../../handlers/drchrono-sync/drchrono-webhook.js';
import { createDrChronoSandbox } from '../../../sandbox/drchrono/index.js';
import { billAppointment, payClaim, postPatientPayment } from '../../../sandbox/drchrono/revenue-cycle.js';
import { createDrChronoWebhookSender } from '../../../sandbox/drchrono/webhook-sender.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';

// Billing webhooks (LINE_ITEM_CREATE|MODIFY|DELETE, LINE_ITEM_TRANSACTION_DELETE, CASH_PAYMENT_DELETE) and the bad
// inputs: sub-cent money, negative charges, custom billing statuses, out-of-order deliveries, a deleted line item that
// comes back. Logs carry ids and counts, never amounts, trace numbers or notes.

const SECRET = 'billing-webhook-secret';
const TZ = 'America/New_York';
let t: TestDatabase;
const logs = captureLogs('drchrono-sync');
const sandbox = createDrChronoSandbox({ patientCount: 10, seed: 31 });
let app: ReturnType<typeof createBaseApp>;

const sender = createDrChronoWebhookSender({
  callbackUrl: 'http://drchrono-sync.local/webhooks/drchrono',
  secret: SECRET,
  fetch: async (input, init) => app.request(new URL(String(input)).pathname, init as RequestInit),
});

beforeAll(async () => {
  t = await createTestDatabase();
  app = createBaseApp({ sql: t.sql, logger: logs.logger, service: 'drchrono-sync' });
  app.route('/', drchronoWebhookRoutes({ sql: t.sql, logger: logs.logger, timeZone: TZ, secret: SECRET }));
});
afterAll(() => t.drop());

const lineItem = async (id: string) =>
  (
    await t.sql`SELECT price::text, billed::text, billing_status, deleted_at, source_updated_at
                FROM line_items WHERE drchrono_id = ${id}`
  )[0];
const reconciliation = async (appointment: string) =>
  (await t.sql`SELECT * FROM billing_reconciliations WHERE appointment = ${appointment}`)[0];
const claimStatus = async (appointment: string) =>
  (await t.sql`SELECT status, status_source FROM claim_statuses WHERE claim_key = ${`${appointment}:primary`}`)[0];

function billedVisit(patientIndex: number, codes: ('99214' | '90837' | '90833')[] = ['99214']) {
  const patient = sandbox.control.get('patients', 1_000_000 + patientIndex)!;
  const visit = sandbox.control.create('appointments', {
    patient: patient['id'],
    doctor: patient['doctor'],
    scheduled_time: sandbox.control.nowTimestamp(),
    status: 'Complete',
  });
  const state = billAppointment(sandbox.control, String(visit['id']), { codes });
  return { visit: String(visit['id']), lines: state.lineItems, appointment: state.appointment };
}

/** Sends the appointment and its line items the way DrChrono would announce them. */
async function announce(visit: { appointment: Record<string, unknown>; lines: Record<string, unknown>[] }) {
  expect((await sender.send('APPOINTMENT_MODIFY', visit.appointment)).status).toBe(200);
  for (const line of visit.lines) expect((await sender.send('LINE_ITEM_CREATE', line)).status).toBe(200);
}

describe('billing webhooks', () => {
  it('applies LINE_ITEM_CREATE and MODIFY in one transaction with the outbox, and a replay changes nothing', async () => {
    const v = billedVisit(0);
    await announce(v);
    const id = String(v.lines[0]!['id']);
    expect((await lineItem(id))!.billing_status).toBe('In Process Emdeon');
    expect((await claimStatus(v.visit))!.status).toBe('submitted');
    const outbox = Number((await t.sql`SELECT count(*)::int AS n FROM outbox`)[0]!.n);
    const delivery = sender.build('LINE_ITEM_MODIFY', sandbox.control.get('line_items', id)!);
    expect((await sender.sendRaw(delivery)).status).toBe(200);
    expect((await sender.sendRaw(delivery)).status).toBe(200);
    expect(Number((await t.sql`SELECT count(*)::int AS n FROM outbox`)[0]!.n)).toBe(outbox);
  });

  it('LINE_ITEM_DELETE, LINE_ITEM_TRANSACTION_DELETE and CASH_PAYMENT_DELETE soft-delete and recompute', async () => {
    const v = billedVisit(1, ['99214', '90833']);
    await announce(v);
    const [first, second] = v.lines.map((l) => String(l['id']));
    expect((await sender.send('LINE_ITEM_DELETE', { id: Number(second) })).status).toBe(200);
    expect((await lineItem(second!))!.deleted_at).not.toBeNull();
    expect((await reconciliation(v.visit))!.line_item_count).toBe(1);
    expect((await lineItem(first!))!.deleted_at).toBeNull();

    // Postings and payments have no create webhook: store them as the sync would, then delete by webhook.
    payClaim(sandbox.control, v.visit, { insPaid: 50, patientResponsibility: 0 });
    const posting = sandbox.control.find('transactions', { appointment: v.visit })[0]!;
    const { payment } = postPatientPayment(sandbox.control, {
      patientId: 1_000_001,
      appointmentId: v.visit,
      amount: 5,
    });
    await t.sql`INSERT INTO insurance_transactions (drchrono_id, raw, appointment, line_item, ins_paid)
                VALUES (${String(posting['id'])}, '{}', ${v.visit}, ${first!}, 50)`;
    await t.sql`INSERT INTO patient_payments (drchrono_id, raw, appointment, amount) VALUES (${String(payment['id'])}, '{}', ${v.visit}, 5)`;
    expect((await sender.send('LINE_ITEM_TRANSACTION_DELETE', { id: posting['id'] })).status).toBe(200);
    expect((await sender.send('CASH_PAYMENT_DELETE', { id: payment['id'] })).status).toBe(200);
    const [tx] =
      await t.sql`SELECT deleted_at FROM insurance_transactions WHERE drchrono_id = ${String(posting['id'])}`;
    const [pay] = await t.sql`SELECT deleted_at FROM patient_payments WHERE drchrono_id = ${String(payment['id'])}`;
    expect(tx!.deleted_at).not.toBeNull();
    expect(pay!.deleted_at).not.toBeNull();
    expect(await reconciliation(v.visit)).toMatchObject({ insurance_posted: '0.00', patient_posted: '0.00' });
  });
});

describe('bad billing input', () => {
  it('rounds money with more than 2 decimals to cents, keeps the original in raw, and warns without the value', async () => {
    const v = billedVisit(2);
    await announce(v);
    const line = { ...sandbox.control.get('line_items', String(v.lines[0]!['id']))! };
    line['price'] = '123.455';
    line['billed'] = 123.455;
    line['updated_at'] = sandbox.control.nowTimestamp().replace(/\d\d$/, '59');
    const from = logs.lines().length;
    expect((await sender.send('LINE_ITEM_MODIFY', line)).status).toBe(200);
    const stored = (await lineItem(String(line['id'])))!;
    expect(stored).toMatchObject({ price: '123.46', billed: '123.46' });
    const [raw] = await t.sql`SELECT raw->>'price' AS price FROM line_items WHERE drchrono_id = ${String(line['id'])}`;
    expect(raw!.price).toBe('123.455');
    const records = logs.records().slice(from);
    expect(records.some((r) => r['reason'] === 'decimal_rounded' && r['column'] === 'price')).toBe(true);
    expect(logs.text()).not.toContain('123.45');
  });

  it('stores a negative charge and flags the reconciliation for review', async () => {
    const v = billedVisit(3);
    await announce(v);
    const line = { ...sandbox.control.update('line_items', String(v.lines[0]!['id']), { price: -50, billed: -50 }) };
    expect((await sender.send('LINE_ITEM_MODIFY', line)).status).toBe(200);
    const rec = (await reconciliation(v.visit))!;
    expect(rec.needs_review).toBe(true);
    expect(rec.review_reason).toContain('negative charge on a line item');
    expect(rec.charges).toBe('-50.00');
  });

  it('stores a custom billing status, maps it with a warning of its class, and never answers 5xx', async () => {
    const v = billedVisit(4);
    await announce(v);
    const from = logs.lines().length;
    const custom = 'Held for Dr. Review — practice code 7';
    const appointment = sandbox.control.update('appointments', v.visit, { ins1_status: custom });
    expect((await sender.send('APPOINTMENT_MODIFY', appointment)).status).toBe(200);
    expect(await claimStatus(v.visit)).toEqual({ status: 'pending', status_source: 'ins_status:custom' });
    const [stored] = await t.sql`SELECT ins1_status FROM appointments WHERE drchrono_id = ${v.visit}`;
    expect(stored!.ins1_status).toBe(custom);
    expect(
      logs
        .records()
        .slice(from)
        .some((r) => r['reason'] === 'unmapped_status' && r['column'] === 'appointments.ins1_status'),
    ).toBe(true);
    expect(logs.text()).not.toContain('practice code 7');
  });

  it('never lets an older delivery overwrite a newer one', async () => {
    const v = billedVisit(5);
    await announce(v);
    const id = String(v.lines[0]!['id']);
    const older = sandbox.control.get('line_items', id)!;
    const newer = sandbox.control.update('line_items', id, {
      billing_status: 'Paid in Full',
      updated_at: '2030-01-01T10:00:00',
    });
    expect((await sender.send('LINE_ITEM_MODIFY', newer)).status).toBe(200);
    expect((await sender.send('LINE_ITEM_MODIFY', older)).status).toBe(200);
    expect((await lineItem(id))!.billing_status).toBe('Paid in Full');
  });

  it('brings back a deleted line item DrChrono announces again', async () => {
    const v = billedVisit(6);
    await announce(v);
    const id = String(v.lines[0]!['id']);
    expect((await sender.send('LINE_ITEM_DELETE', { id: Number(id) })).status).toBe(200);
    expect((await lineItem(id))!.deleted_at).not.toBeNull();
    // Nothing billable is left on the visit: its summary row is retired (Deleted in Coda), not left stale.
    expect((await reconciliation(v.visit))!.deleted_at).not.toBeNull();
    const back = sandbox.control.update('line_items', id, { updated_at: '2031-01-01T09:00:00' });
    expect((await sender.send('LINE_ITEM_MODIFY', back)).status).toBe(200);
    expect((await lineItem(id))!.deleted_at).toBeNull();
    expect(await reconciliation(v.visit)).toMatchObject({ line_item_count: 1, deleted_at: null });
  });

  it('refuses a line item body of the wrong shape with 400 naming the field, writing nothing', async () => {
    const v = billedVisit(7);
    const line: Record<string, unknown> = { ...v.lines[0]!, price: { amount: 12 } };
    const res = await sender.send('LINE_ITEM_CREATE', line);
    expect(res.status).toBe(400);
    expect(res.responseBody).toContain('object.price');
    expect((await t.sql`SELECT 1 FROM line_items WHERE drchrono_id = ${String(line['id'])}`).length).toBe(0);
  });

  it('logs ids and counts only: no amounts, trace numbers or payment notes', () => {
    const text = logs.text();
    for (const forbidden of ['123.46', 'EFT', 'Refund of payment', 'Testcare Health Plan']) {
      expect(text).not.toContain(forbidden);
    }
  });
});
