import { money, moneyText } from '../synthetic/billing.js';
import type { DrChronoRecord } from '../synthetic/dataset.js';
import { CPT_FEES } from '../synthetic/vocab.js';
import type { CptCode } from '../synthetic/vocab.js';
import type { DrChronoSandboxControl } from './app.js';

// Test scenarios for the revenue cycle, driven through `control` the way a biller drives DrChrono: bill a visit, the
// payer denies or pays, the front desk posts and refunds patient payments. After every step each line item's money
// fields are recomputed from its postings (transactions and payments) and the appointment's billing_status /
// ins1_status from its line items, so the sandbox's identities hold: paid_total = ins_total + pt_paid and
// balance_total = balance_ins + balance_pt = billed − paid_total − adjustment.

/** An appointment's claim after a step. */
export interface ClaimState {
  readonly appointment: DrChronoRecord;
  readonly lineItems: DrChronoRecord[];
}

const cents = (value: unknown): number => Math.round(Number.parseFloat(String(value ?? 0)) * 100);
/** Line statuses where the insurers are done and what is left is the patient's. */
const ADJUDICATED = new Set(['Paid in Full', 'Partially Paid']);

function appointmentOf(control: DrChronoSandboxControl, appointmentId: string | number): DrChronoRecord {
  const appointment = control.get('appointments', String(appointmentId));
  if (!appointment) throw new Error(`revenue-cycle: appointment ${String(appointmentId)} not found`);
  if (!/^\d+$/.test(String(appointment['id'])))
    throw new Error(`revenue-cycle: appointment ${String(appointmentId)} has no integer id (a line item needs one)`);
  return appointment;
}

function lineItemsOf(control: DrChronoSandboxControl, appointmentId: string | number): DrChronoRecord[] {
  return control.find('line_items', { appointment: String(Number(appointmentId)) });
}

/** Recomputes a line item's money fields from its transactions and applied payments; optionally sets its status. */
function settleLine(control: DrChronoSandboxControl, line: DrChronoRecord, patch: DrChronoRecord = {}): DrChronoRecord {
  const id = Number(line['id']);
  const postings = control.find('transactions', { line_item: String(id) });
  const payments = control
    .find('patient_payments', { patient: String(line['patient']) })
    .filter((p) => Number(p['line_item']) === id);
  const sum = (rows: DrChronoRecord[], field: string): number => rows.reduce((t, r) => t + cents(r[field]), 0);
  const ins1 = sum(
    postings.filter((t) => Number(t['ins_name']) === 1),
    'ins_paid',
  );
  const ins2 = sum(
    postings.filter((t) => Number(t['ins_name']) === 2),
    'ins_paid',
  );
  const adjustment = sum(postings, 'adjustment');
  const ptPaid = sum(payments, 'amount');
  const balance = cents(line['billed']) - ins1 - ins2 - adjustment - ptPaid;
  let status = String(patch['billing_status'] ?? line['billing_status']);
  if (ADJUDICATED.has(status)) status = balance > 0 ? 'Partially Paid' : 'Paid in Full';
  const done = ADJUDICATED.has(status);
  return control.update('line_items', id, {
    ...patch,
    ins1_paid: money(ins1),
    ins2_paid: money(ins2),
    ins_total: moneyText(ins1 + ins2),
    pt_paid: money(ptPaid),
    paid_total: moneyText(ins1 + ins2 + ptPaid),
    adjustment: money(adjustment),
    balance_ins: money(done ? 0 : balance),
    balance_pt: money(done ? balance : 0),
    balance_total: moneyText(balance),
    billing_status: status,
    insurance_status: status,
  });
}

/** Sets the appointment's billing fields from its line items (the practice workflow status and the primary's). */
function syncAppointment(control: DrChronoSandboxControl, appointmentId: string | number): ClaimState {
  const lineItems = lineItemsOf(control, appointmentId);
  const statuses = lineItems.map((l) => String(l['billing_status']));
  const balance = lineItems.reduce((t, l) => t + cents(l['balance_total']), 0);
  let billingStatus = 'Bill Insurance';
  let ins1Status = statuses[0] ?? '';
  if (lineItems.some((l) => l['denied_flag'] === true)) {
    billingStatus = 'Internal Review';
    ins1Status = 'ERA Denied';
  } else if (statuses.length > 0 && statuses.every((s) => ADJUDICATED.has(s))) {
    billingStatus = balance > 0 ? 'Balance Due' : 'Paid In Full';
    ins1Status = balance > 0 ? 'Partially Paid' : 'Paid in Full';
  }
  const appointment = control.update('appointments', String(appointmentId), {
    billing_status: billingStatus,
    ins1_status: ins1Status,
  });
  return { appointment, lineItems };
}

/** The posting fields every transaction of a line item shares. */
function postingBase(control: DrChronoSandboxControl, line: DrChronoRecord): DrChronoRecord {
  const patient = control.get('patients', Number(line['patient']));
  const insurance = (patient?.['primary_insurance'] ?? {}) as DrChronoRecord;
  const today = control.nowTimestamp().slice(0, 10);
  return {
    line_item: Number(line['id']),
    appointment: Number(line['appointment']),
    patient: Number(line['patient']),
    doctor: Number(line['doctor']),
    ins_name: 1,
    insurance: {
      id_number: String(insurance['insurance_id_number'] ?? ''),
      name: String(insurance['insurance_company'] ?? ''),
      message: '',
    },
    check_date: today,
    posted_date: today,
  };
}

/**
 * Bills a visit: one line item per code (fee from the sandbox's fee schedule, modifier 95 when `telehealth`), claim
 * submitted to the clearinghouse ('In Process Emdeon'); the appointment becomes 'Bill Insurance'.
 */
export function billAppointment(
  control: DrChronoSandboxControl,
  appointmentId: string | number,
  options: { codes?: readonly CptCode[]; telehealth?: boolean } = {},
): ClaimState {
  const appointment = appointmentOf(control, appointmentId);
  const now = control.nowTimestamp();
  for (const [i, code] of (options.codes ?? ['99214']).entries()) {
    const fee = CPT_FEES[code].cents;
    control.create('line_items', {
      appointment: Number(appointment['id']),
      patient: String(appointment['patient']),
      doctor: String(appointment['doctor']),
      code,
      procedure_type: 'C',
      description: CPT_FEES[code].description,
      modifiers: options.telehealth ? ['95'] : [],
      diagnosis_pointers: i === 0 ? ['1'] : ['1', '2'],
      quantity: 1,
      units: 'UN',
      price: money(fee),
      billed: money(fee),
      allowed: 0,
      expected_reimbursement: 0,
      ins1_paid: 0,
      ins2_paid: 0,
      ins3_paid: 0,
      ins_total: '0.00',
      pt_paid: 0,
      paid_total: '0.00',
      adjustment: 0,
      balance_ins: money(fee),
      balance_pt: 0,
      balance_total: moneyText(fee),
      billing_status: 'In Process Emdeon',
      insurance_status: 'In Process Emdeon',
      denied_flag: false,
      service_date: String(appointment['scheduled_time']).slice(0, 10),
      posted_date: now.slice(0, 10),
    });
  }
  control.update('appointments', String(appointment['id']), { first_billed_date: now, last_billed_date: now });
  return syncAppointment(control, appointmentId);
}

/**
 * The payer denies the claim: a claim_status '4' transaction per line item with group CO and the CARC `carc`
 * (default 197, no prior authorisation), nothing paid; line items `denied_flag: true`, 'ERA Denied'; the appointment
 * 'Internal Review'.
 */
export function denyClaim(
  control: DrChronoSandboxControl,
  appointmentId: string | number,
  options: { carc?: string } = {},
): ClaimState & { transactions: DrChronoRecord[] } {
  const transactions = lineItemsOf(control, appointmentId).map((line) => {
    const posting = control.create('transactions', {
      ...postingBase(control, line),
      ins_paid: 0,
      adjustment: 0,
      adjustment_group_code: 'CO',
      adjustment_reason: options.carc ?? '197',
      claim_status: '4',
      trace_number: `EFT${String(line['id'])}D`,
    });
    settleLine(control, line, { billing_status: 'ERA Denied', denied_flag: true });
    return posting;
  });
  return { ...syncAppointment(control, appointmentId), transactions };
}

/** Resubmits a denied or rejected claim: line items back to 'In Process Emdeon', `denied_flag: false`. */
export function resubmitClaim(control: DrChronoSandboxControl, appointmentId: string | number): ClaimState {
  for (const line of lineItemsOf(control, appointmentId))
    settleLine(control, line, { billing_status: 'In Process Emdeon', denied_flag: false });
  control.update('appointments', String(appointmentId), { last_billed_date: control.nowTimestamp() });
  return syncAppointment(control, appointmentId);
}

/** Splits `total` cents over line items by their billed share; the rounding remainder goes to the first line. */
function split(total: number, lines: DrChronoRecord[]): number[] {
  const billed = lines.map((l) => cents(l['billed']));
  const all = billed.reduce((a, b) => a + b, 0) || 1;
  const shares = billed.map((b) => Math.floor((total * b) / all));
  shares[0] = (shares[0] ?? 0) + total - shares.reduce((a, b) => a + b, 0);
  return shares;
}

/**
 * The primary payer pays `insPaid` and assigns `patientResponsibility` (claim totals in dollars, split over the line
 * items by billed share): a claim_status '1' transaction per line with the contractual write-off billed − allowed
 * (CO-45), allowed = insPaid + patientResponsibility. Line items become 'Paid in Full' or, with a patient balance,
 * 'Partially Paid'; the appointment 'Paid In Full' or 'Balance Due'.
 */
export function payClaim(
  control: DrChronoSandboxControl,
  appointmentId: string | number,
  amounts: { insPaid: number; patientResponsibility: number },
): ClaimState & { transactions: DrChronoRecord[] } {
  const lines = lineItemsOf(control, appointmentId);
  const paid = split(Math.round(amounts.insPaid * 100), lines);
  const owed = split(Math.round(amounts.patientResponsibility * 100), lines);
  const transactions = lines.map((line, i) => {
    const allowed = paid[i]! + owed[i]!;
    const posting = control.create('transactions', {
      ...postingBase(control, line),
      ins_paid: money(paid[i]!),
      adjustment: money(cents(line['billed']) - allowed),
      adjustment_group_code: 'CO',
      adjustment_reason: '45',
      claim_status: '1',
      trace_number: `EFT${String(line['id'])}P`,
    });
    settleLine(control, line, {
      allowed: money(allowed),
      expected_reimbursement: money(allowed),
      billing_status: 'Paid in Full',
      denied_flag: false,
    });
    return posting;
  });
  return { ...syncAppointment(control, appointmentId), transactions };
}

/**
 * Posts a patient payment. With `appointmentId` it is applied to that visit's first line item with a balance (or its
 * first line item) and the line and appointment are recomputed; without, it is a payment on account (`appointment`
 * and `line_item` null). `amount` in dollars, non-zero.
 */
export function postPatientPayment(
  control: DrChronoSandboxControl,
  payment: {
    patientId: number;
    appointmentId?: string | number;
    amount: number;
    method?: string;
    type?: '' | 'COPAY' | 'COINSR' | 'COR' | 'OTHR';
  },
): { payment: DrChronoRecord; claim: ClaimState | null } {
  if (payment.amount === 0) throw new Error('revenue-cycle: a patient payment amount cannot be zero');
  const lines = payment.appointmentId === undefined ? [] : lineItemsOf(control, payment.appointmentId);
  const line = lines.find((l) => cents(l['balance_total']) > 0) ?? lines[0] ?? null;
  const patient = control.get('patients', payment.patientId);
  const today = control.nowTimestamp().slice(0, 10);
  const created = control.create('patient_payments', {
    patient: payment.patientId,
    doctor: patient ? patient['doctor'] : null,
    appointment: line ? Number(line['appointment']) : null,
    line_item: line ? Number(line['id']) : null,
    amount: money(Math.round(payment.amount * 100)),
    payment_method: payment.method ?? 'CRDT',
    payment_transaction_type: payment.type ?? '',
    trace_number: '',
    notes: '',
    received_date: today,
    posted_date: today,
    created_by: patient ? String(patient['doctor']) : '',
  });
  if (!line) return { payment: created, claim: null };
  settleLine(control, line);
  return { payment: created, claim: syncAppointment(control, String(line['appointment'])) };
}

/**
 * Refunds a patient payment: a new payment of type 'REF' with the negated amount on the same patient, visit and line
 * item (the sandbox's reading of a refund; DrChrono documents the type, not the sign). Recomputes the line item.
 */
export function refundPatientPayment(
  control: DrChronoSandboxControl,
  paymentId: number,
): { refund: DrChronoRecord; claim: ClaimState | null } {
  const original = control.get('patient_payments', paymentId);
  if (!original) throw new Error(`revenue-cycle: patient payment ${String(paymentId)} not found`);
  const today = control.nowTimestamp().slice(0, 10);
  const refund = control.create('patient_payments', {
    patient: original['patient'],
    doctor: original['doctor'],
    appointment: original['appointment'],
    line_item: original['line_item'],
    amount: money(-cents(original['amount'])),
    payment_method: original['payment_method'],
    payment_transaction_type: 'REF',
    trace_number: String(original['trace_number'] ?? ''),
    notes: `Refund of payment ${String(paymentId)}`,
    received_date: today,
    posted_date: today,
    created_by: original['created_by'],
  });
  const line = original['line_item'] == null ? null : control.get('line_items', Number(original['line_item']));
  if (!line) return { refund, claim: null };
  settleLine(control, line);
  return { refund, claim: syncAppointment(control, String(line['appointment'])) };
}
