import { describe, expect, it } from 'vitest';
import { drchronoPageCaps } from '../../../../contract/drchrono-api.js';
import {
  billAppointment,
  denyClaim,
  payClaim,
  postPatientPayment,
  refundPatientPayment,
  resubmitClaim,
} from '../../../../sandbox/drchrono/index.js';
import type { DrChronoSandboxControl } from '../../../../sandbox/drchrono/index.js';
import {
  BILLING_SLOTS_PER_PATIENT,
  createSyntheticDataset,
  syntheticPhiValues,
} from '../../../../sandbox/synthetic/index.js';
import { sandboxWithClock, walk } from './helpers.js';

type Row = Record<string, unknown>;
const cents = (value: unknown): number => Math.round(Number.parseFloat(String(value)) * 100);
const all = async (get: (p: string) => Promise<Response>, path: string): Promise<Row[]> =>
  (await walk(get, `http://sandbox.test${path}`)).flatMap((p) => p.results);

/** The identities every line item keeps (DrChrono does not document them; the sandbox guarantees them). */
function expectConsistent(line: Row): void {
  expect(cents(line['paid_total'])).toBe(cents(line['ins_total']) + cents(line['pt_paid']));
  expect(cents(line['ins_total'])).toBe(cents(line['ins1_paid']) + cents(line['ins2_paid']) + cents(line['ins3_paid']));
  expect(cents(line['balance_total'])).toBe(cents(line['balance_ins']) + cents(line['balance_pt']));
  expect(cents(line['balance_total'])).toBe(
    cents(line['billed']) - cents(line['paid_total']) - cents(line['adjustment']),
  );
}

describe('DrChrono sandbox billing lists', () => {
  for (const endpoint of [
    'line_items',
    'transactions',
    'patient_payments',
    'line_item_deletions',
    'patient_payment_log',
  ] as const) {
    it(`walks every ${endpoint} record exactly once at the page cap`, async () => {
      const s = sandboxWithClock({ patientCount: 300 });
      const pages = await walk(s.get, `http://sandbox.test/api/${endpoint}?page_size=1000`);
      const rows = pages.flatMap((p) => p.results);
      expect(rows.length).toBe(s.control.count(endpoint));
      expect(rows.length).toBeGreaterThan(3);
      for (const page of pages) expect(page.results.length).toBeLessThanOrEqual(drchronoPageCaps[endpoint].max);
      const keys = rows.map((r) => String(r['id'] ?? r['billing_line_item_id']));
      expect(new Set(keys).size).toBe(keys.length);
    });
  }

  it('types money like DrChrono: numbers, but ins_total, paid_total and balance_total as 2-dp strings', async () => {
    const s = sandboxWithClock();
    const lines = await all(s.get, '/api/line_items?page_size=250');
    for (const line of lines) {
      for (const key of ['ins_total', 'paid_total', 'balance_total']) expect(line[key]).toMatch(/^-?\d+\.\d{2}$/);
      for (const key of [
        'price',
        'billed',
        'allowed',
        'ins1_paid',
        'pt_paid',
        'adjustment',
        'balance_ins',
        'balance_pt',
      ])
        expect(typeof line[key]).toBe('number');
      expect(typeof line['appointment']).toBe('number');
      expect(typeof line['patient']).toBe('string'); // BillingLineItem: "Patient ID", type string
      expect(line).not.toHaveProperty('description'); // verbose-only
      expect(line).not.toHaveProperty('created_at');
    }
    const verbose = await all(s.get, '/api/line_items?verbose=true&page_size=50');
    expect(verbose.every((l) => typeof l['description'] === 'string')).toBe(true);
    const tx = await all(s.get, '/api/transactions?page_size=250');
    expect(tx.every((t) => typeof t['ins_paid'] === 'number' && typeof t['claim_status'] === 'string')).toBe(true);
  });

  it('keeps every generated line item internally consistent and agrees with the appointment', () => {
    const ds = createSyntheticDataset({ seed: 3, patientCount: 400 });
    const seen = new Set<string>();
    for (let slot = 0; slot < ds.slotCount('line_items'); slot += 1) {
      const line = ds.billing.record('line_items', slot);
      if (!line) continue;
      expectConsistent(line);
      seen.add(String(line['billing_status']));
      const appointment = ds.child('appointments', Math.floor(slot / 2))!;
      expect(appointment['id']).toBe(String(line['appointment']));
      expect(appointment['ins1_status']).not.toBe('');
      if (line['denied_flag']) expect(appointment['ins1_status']).toBe('ERA Denied');
      expect(String(line['updated_at']) <= ds.epochTimestamp).toBe(true);
    }
    for (const status of [
      'In Process Emdeon',
      'Payer Acknowledged',
      'In Process Payer',
      'Paid in Full',
      'Partially Paid',
      'ERA Denied',
    ])
      expect(seen).toContain(status);
  });

  it('generates denials (claim status 4, CO + CARC), reversals (22), secondary payments and refunds', () => {
    const ds = createSyntheticDataset({ seed: 1, patientCount: 1000 });
    const statuses = new Set<string>();
    let denialReasons = 0;
    for (let slot = 0; slot < ds.slotCount('transactions'); slot += 1) {
      const t = ds.billing.record('transactions', slot);
      if (!t) continue;
      statuses.add(String(t['claim_status']));
      if (t['claim_status'] === '4' && t['adjustment_group_code'] === 'CO' && t['adjustment_reason'] !== '')
        denialReasons += 1;
      expect(String(t['created_at']) <= ds.epochTimestamp).toBe(true);
    }
    expect([...statuses].sort()).toEqual(['1', '2', '22', '4']);
    expect(denialReasons).toBeGreaterThan(0);
    const types = new Set<string>();
    for (let slot = 0; slot < ds.slotCount('patient_payments'); slot += 1) {
      const p = ds.billing.record('patient_payments', slot);
      if (!p) continue;
      types.add(String(p['payment_transaction_type']));
      expect(p['amount']).not.toBe(0);
      if (p['payment_transaction_type'] === 'REF') expect(Number(p['amount'])).toBeLessThan(0);
    }
    expect(types).toEqual(new Set(['COPAY', 'REF', '', 'COINSR']));
  });

  it('is deterministic by seed', () => {
    const a = createSyntheticDataset({ seed: 8, patientCount: 50 });
    const b = createSyntheticDataset({ seed: 8, patientCount: 50 });
    const c = createSyntheticDataset({ seed: 9, patientCount: 50 });
    const dump = (ds: typeof a): string =>
      JSON.stringify(
        Array.from({ length: ds.slotCount('transactions') }, (_, s) => ds.billing.record('transactions', s)),
      );
    expect(dump(a)).toBe(dump(b));
    expect(dump(a)).not.toBe(dump(c));
  });

  it('filters line items by patient, appointment, doctor, service_date and posted_date', async () => {
    const s = sandboxWithClock({ patientCount: 200 });
    const lines = await all(s.get, '/api/line_items?page_size=250');
    const sample = lines[7]!;
    const byAppointment = await all(s.get, `/api/line_items?appointment=${String(sample['appointment'])}`);
    expect(byAppointment.length).toBeGreaterThan(0);
    expect(byAppointment).toEqual(lines.filter((l) => l['appointment'] === sample['appointment']));
    const byPatient = await all(s.get, `/api/line_items?patient=${String(sample['patient'])}`);
    expect(byPatient).toEqual(lines.filter((l) => l['patient'] === sample['patient']));
    const byDoctor = await all(s.get, `/api/line_items?doctor=${String(sample['doctor'])}&page_size=250`);
    expect(byDoctor).toEqual(lines.filter((l) => l['doctor'] === sample['doctor']));
    const byService = await all(s.get, `/api/line_items?service_date=${String(sample['service_date'])}`);
    expect(byService).toEqual(lines.filter((l) => l['service_date'] === sample['service_date']));
    const byPosted = await all(s.get, `/api/line_items?posted_date=${String(sample['posted_date'])}`);
    expect(byPosted).toEqual(lines.filter((l) => l['posted_date'] === sample['posted_date']));
    const since = '2026-02-01T00:00:00';
    const recent = await all(s.get, `/api/line_items?since=${since}&page_size=250`);
    expect(recent).toEqual(lines.filter((l) => String(l['updated_at']) >= since));
  });

  it('ignores patient on transactions and appointment on patient payments, as DrChrono does', async () => {
    const s = sandboxWithClock({ patientCount: 100 });
    const tx = await all(s.get, '/api/transactions?page_size=250');
    const sample = tx[3]!;
    expect(await all(s.get, `/api/transactions?patient=${String(sample['patient'])}&page_size=250`)).toEqual(tx);
    expect(await all(s.get, `/api/transactions?line_item=${String(sample['line_item'])}`)).toEqual(
      tx.filter((t) => t['line_item'] === sample['line_item']),
    );
    expect(await all(s.get, `/api/transactions?appointment=${String(sample['appointment'])}`)).toEqual(
      tx.filter((t) => t['appointment'] === sample['appointment']),
    );
    const payments = await all(s.get, '/api/patient_payments?page_size=250');
    const p = payments.find((x) => x['appointment'] !== null)!;
    expect(await all(s.get, `/api/patient_payments?appointment=${String(p['appointment'])}&page_size=250`)).toEqual(
      payments,
    );
    expect(await all(s.get, `/api/patient_payments?patient=${String(p['patient'])}`)).toEqual(
      payments.filter((x) => x['patient'] === p['patient']),
    );
  });

  it('answers 400 with a field error for malformed billing filters', async () => {
    const s = sandboxWithClock();
    const bad = await s.get('/api/line_items?appointment=abc');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ appointment: ['Enter a whole number.'] });
    expect(await (await s.get('/api/transactions?posted_date=03/01/2026')).json()).toEqual({
      posted_date: ['Enter a valid date.'],
    });
    expect((await s.get('/api/line_item_deletions?since=soon')).status).toBe(400);
  });

  it('reads one appointment of a 10,000-patient dataset without scanning the rest', async () => {
    const s = sandboxWithClock({ patientCount: 10_000, scanBudget: 1000 });
    const ds = s.control.dataset;
    let slot = ds.slotCount('appointments') - 1;
    while (!ds.billing.claim(slot)) slot -= 1;
    const appointment = ds.child('appointments', slot)!['id'];
    const lines = await walk(s.get, `http://sandbox.test/api/line_items?appointment=${String(appointment)}`);
    expect(lines).toHaveLength(1); // one page, no `next` continuing a budget-limited scan
    expect(lines[0]!.results.length).toBeGreaterThan(0);
  });

  it('hides deleted generated line items and payments and lists them in the logs', async () => {
    const s = sandboxWithClock({ patientCount: 300 });
    const deletions = await all(s.get, '/api/line_item_deletions?page_size=250');
    expect(deletions.length).toBeGreaterThan(0);
    for (const d of deletions) {
      expect(Object.keys(d).sort()).toEqual(['appointment_id', 'billing_line_item_id', 'created_at']);
      expect((await s.get(`/api/line_items/${String(d['billing_line_item_id'])}`)).status).toBe(404);
    }
    const one = deletions[0]!;
    expect(await all(s.get, `/api/line_item_deletions?appointment_id=${String(one['appointment_id'])}`)).toContainEqual(
      one,
    );
    const log = await all(s.get, '/api/patient_payment_log?page_size=250');
    const deleted = log.filter((e) => e['action'] === 'D');
    expect(deleted.length).toBeGreaterThan(0);
    for (const entry of deleted) {
      expect((await s.get(`/api/patient_payments/${String(entry['patient_payment'])}`)).status).toBe(404);
      expect(String(entry['updated_at']) <= s.control.dataset.epochTimestamp).toBe(true);
    }
    expect(log.filter((e) => e['action'] === 'C').length).toBe(s.control.count('patient_payments') + deleted.length);
  });

  it('logs control deletes: line item → line_item_deletions, payment → payment log D; transactions just vanish', async () => {
    const s = sandboxWithClock();
    const [line] = await all(s.get, '/api/line_items?page_size=1');
    s.clock.now += 60_000;
    const now = s.control.nowTimestamp();
    const lineCount = s.control.count('line_items');
    s.control.remove('line_items', line!['id'] as number);
    expect(s.control.count('line_items')).toBe(lineCount - 1);
    expect(await all(s.get, `/api/line_item_deletions?since=${now}`)).toEqual([
      { billing_line_item_id: line!['id'], appointment_id: line!['appointment'], created_at: now },
    ]);
    const [payment] = await all(s.get, '/api/patient_payments?page_size=1');
    s.control.remove('patient_payments', payment!['id'] as number);
    const log = await all(s.get, `/api/patient_payment_log?since=${now}`);
    expect(log).toMatchObject([{ action: 'D', patient_payment: payment!['id'], patient: String(payment!['patient']) }]);
    const [tx] = await all(s.get, '/api/transactions?page_size=1');
    s.control.remove('transactions', tx!['id'] as number);
    expect(s.control.get('transactions', tx!['id'] as number)).toBeNull();
    expect(await all(s.get, `/api/patient_payment_log?since=${now}`)).toHaveLength(1);
  });

  it('gives webhook deliveries the verbose line item (control.get includes description)', () => {
    const s = sandboxWithClock();
    const line = s.control.find('line_items', {})[0]!;
    expect(s.control.get('line_items', line['id'] as number)).toEqual(line);
    expect(line['description']).toEqual(expect.any(String));
  });
});

describe('revenue-cycle scenarios', () => {
  /** An existing visit with an integer id and no generated line items, so the scenario owns the claim. */
  function unbilledVisit(control: DrChronoSandboxControl): string {
    const ds = control.dataset;
    for (let slot = 0; slot < ds.slotCount('appointments'); slot += 1) {
      const a = ds.child('appointments', slot);
      if (a && /^\d+$/.test(String(a['id'])) && !ds.billing.claim(slot)) return String(a['id']);
    }
    throw new Error('no unbilled visit');
  }

  it('bills, denies, resubmits and pays a claim, keeping line items and the appointment consistent', () => {
    const { control, clock } = sandboxWithClock();
    const id = unbilledVisit(control);
    const billed = billAppointment(control, id, { codes: ['99214', '90833'], telehealth: true });
    expect(billed.lineItems.map((l) => l['code'])).toEqual(['99214', '90833']);
    expect(billed.lineItems[0]!['modifiers']).toEqual(['95']);
    expect(billed.appointment).toMatchObject({ billing_status: 'Bill Insurance', ins1_status: 'In Process Emdeon' });
    billed.lineItems.forEach(expectConsistent);

    clock.now += 86_400_000;
    const denied = denyClaim(control, id, { carc: '50' });
    expect(denied.transactions.every((t) => t['claim_status'] === '4' && t['adjustment_reason'] === '50')).toBe(true);
    expect(denied.lineItems.every((l) => l['denied_flag'] === true && l['billing_status'] === 'ERA Denied')).toBe(true);
    expect(denied.appointment).toMatchObject({ billing_status: 'Internal Review', ins1_status: 'ERA Denied' });

    const resubmitted = resubmitClaim(control, id);
    expect(resubmitted.lineItems.every((l) => l['denied_flag'] === false)).toBe(true);
    expect(resubmitted.appointment['billing_status']).toBe('Bill Insurance');

    const paid = payClaim(control, id, { insPaid: 200, patientResponsibility: 30 });
    paid.lineItems.forEach(expectConsistent);
    const total = (field: string): number => paid.lineItems.reduce((t, l) => t + cents(l[field]), 0);
    expect(total('ins_total')).toBe(20_000);
    expect(total('balance_pt')).toBe(3_000);
    expect(total('allowed')).toBe(23_000);
    expect(paid.appointment).toMatchObject({ billing_status: 'Balance Due', ins1_status: 'Partially Paid' });
  });

  it('applies a patient payment to the balance and refunds it with a negative REF payment', () => {
    const { control } = sandboxWithClock();
    const id = unbilledVisit(control);
    const { appointment } = billAppointment(control, id, { codes: ['90837'] });
    payClaim(control, id, { insPaid: 150, patientResponsibility: 25 });
    const patientId = Number(appointment['patient']);
    const posted = postPatientPayment(control, { patientId, appointmentId: id, amount: 25, type: 'COPAY' });
    expect(posted.payment).toMatchObject({ amount: 25, appointment: Number(id), payment_transaction_type: 'COPAY' });
    expect(posted.claim!.lineItems[0]).toMatchObject({
      pt_paid: 25,
      balance_total: '0.00',
      billing_status: 'Paid in Full',
    });
    expect(posted.claim!.appointment['billing_status']).toBe('Paid In Full');
    const log = control.find('patient_payment_log', { since: control.nowTimestamp() });
    expect(log.some((e) => e['action'] === 'C' && e['patient_payment'] === posted.payment['id'])).toBe(true);

    const refunded = refundPatientPayment(control, posted.payment['id'] as number);
    expect(refunded.refund).toMatchObject({ amount: -25, payment_transaction_type: 'REF' });
    expect(refunded.claim!.lineItems[0]).toMatchObject({ pt_paid: 0, balance_pt: 25, balance_total: '25.00' });
    refunded.claim!.lineItems.forEach(expectConsistent);
    expect(refunded.claim!.appointment['billing_status']).toBe('Balance Due');

    const onAccount = postPatientPayment(control, { patientId, amount: 10 });
    expect(onAccount).toMatchObject({ payment: { appointment: null, line_item: null }, claim: null });
  });
});

it('lists a patient’s billing PHI-ish values for PHI scans (payment notes, traces, member ids on transactions)', () => {
  const ds = createSyntheticDataset({ seed: 2, patientCount: 80 });
  const per = BILLING_SLOTS_PER_PATIENT.patient_payments;
  let index = 0;
  while (!ds.billing.record('patient_payments', index * per) && index < 79) index += 1;
  const payment = ds.billing.record('patient_payments', index * per)!;
  const phi = syntheticPhiValues(ds, index);
  expect(phi).toContain(payment['notes']);
  if (String(payment['trace_number']).length >= 3) expect(phi).toContain(payment['trace_number']);
});
