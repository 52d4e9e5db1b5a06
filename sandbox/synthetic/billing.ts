import { hash32 } from './prng.js';
import { CPT_FEES, CODE_PLANS, DENIAL_CARCS, NOTE_PHRASES, PAYMENT_METHODS } from './vocab.js';
import type { CptCode } from './vocab.js';

/**
 * The synthetic revenue cycle: for every billed appointment (a completed past visit with a numeric id) a claim with
 * line items, insurance transactions and patient payments, in DrChrono's shapes (`BillingLineItem`,
 * `LineItemTransaction`, `CashPayment`, `CashPaymentLog`, `BillingLineItemDeletion`). Like dataset.ts, every record is
 * a pure function of (seed, slot): each appointment slot owns fixed billing slots, filled or empty by hash, and the
 * claim's progress follows the visit's age relative to the dataset epoch. Money is computed in integer cents so the
 * line item identities hold exactly.
 */

type Row = Record<string, unknown>;

/** Billing slots each appointment slot owns. Slot `s` of a resource belongs to appointment slot `floor(s / n)`. */
export const BILLING_SLOTS_PER_APPOINTMENT = {
  line_items: 2,
  /** 3 per line item: slot `s` belongs to line item slot `floor(s / 3)`. */
  transactions: 6,
  patient_payments: 2,
  /** One per line item slot: the deletion record of that line item. */
  line_item_deletions: 2,
  /** 2 per payment slot: its create ('C') and delete ('D') entries. */
  patient_payment_log: 4,
} as const;

export type BillingSlotResource = keyof typeof BILLING_SLOTS_PER_APPOINTMENT;
export const TRANSACTIONS_PER_LINE_ITEM = 3;

export const BILLING_ID_BASE = {
  line_items: 60_000_000,
  transactions: 70_000_000,
  patient_payments: 80_000_000,
  patient_payment_log: 90_000_000,
} as const;

/** The clearinghouse claims go through; Emdeon is in both the line item's and the appointment's status enums. */
const CLEARINGHOUSE = 'Emdeon';

/** Claim milestones, in days after the visit. */
const DAY = {
  acknowledged: 4,
  inProcessPayer: 10,
  adjudicated: 21,
  reversal: 40,
  resubmitted: 45,
  paidAfterResubmit: 55,
  /** Secondary insurer pays this long after the primary. */
  secondaryLag: 14,
  /** Patient pays the balance this long after the insurer. */
  patientLag: 9,
  refundLag: 3,
} as const;

type ClaimStage =
  | 'submitted'
  | 'acknowledged'
  | 'in_process'
  | 'rejected_clearinghouse'
  | 'rejected_payer'
  | 'denied'
  | 'resubmitted'
  | 'cob'
  | 'paid';

/** What the billing generator needs from the dataset (no records are built except the patient's, memoised). */
export interface BillingDeps {
  readonly seed: number;
  readonly epochMs: number;
  appointmentPresent(slot: number): boolean;
  appointmentCore(slot: number): {
    patientIndex: number;
    k: number;
    scheduledMs: number;
    past: boolean;
    status: string;
  };
  appointmentId(slot: number, scheduledMs: number): string;
  patient(index: number): Row;
  doctorId(patientIndex: number): number;
}

interface PatientFacts {
  readonly patientId: number;
  readonly copayCents: number;
  readonly primary: { name: string; idNumber: string };
  readonly secondary: { name: string; idNumber: string } | null;
}

interface TxEvent {
  readonly day: number;
  readonly claimStatus: string;
  readonly insName: 1 | 2;
  readonly insPaidCents: number;
  readonly adjCents: number;
  readonly group: string;
  readonly reason: string;
}

interface PaymentEvent {
  readonly day: number;
  readonly amountCents: number;
  readonly type: string;
  /** Applied to the visit's first line item (false: a payment on account, no appointment or line item). */
  readonly applied: boolean;
  /** Day the payment was deleted (a duplicate entered by mistake), or null. */
  readonly deletedDay: number | null;
}

interface LineState {
  readonly code: CptCode;
  readonly quantity: number;
  readonly priceCents: number;
  readonly billedCents: number;
  readonly expectedCents: number;
  readonly allowedCents: number;
  readonly ins1Cents: number;
  readonly ins2Cents: number;
  readonly adjCents: number;
  readonly ptPaidCents: number;
  readonly balanceInsCents: number;
  readonly balancePtCents: number;
  readonly deleted: boolean;
  readonly status: string;
}

/** One appointment's claim as of the dataset epoch. */
interface Claim {
  readonly appointmentSlot: number;
  /** The appointment id as an integer (line items and payments type `appointment` as integer). */
  readonly appointmentNumber: number;
  readonly patientId: number;
  readonly doctorId: number;
  readonly scheduledMs: number;
  readonly stage: ClaimStage;
  readonly telehealth: boolean;
  readonly lines: readonly [LineState, LineState | null];
  readonly transactions: ReadonlyArray<TxEvent | null>;
  readonly payments: ReadonlyArray<PaymentEvent | null>;
  readonly patient: PatientFacts;
  /** Appointment fields that must agree with the line items. */
  readonly appointmentBillingStatus: string;
  readonly ins1Status: string;
  readonly ins2Status: string;
  /** Day (after the visit) of the claim's last change. */
  readonly lastChangeDay: number;
}

export interface SyntheticBilling {
  /** The claim of an appointment slot, or null when the appointment is not billed. */
  claim(appointmentSlot: number): Claim | null;
  /** The generated record in a slot, or null when empty (or, for line items and payments, deleted). */
  record(resource: BillingSlotResource, slot: number): Row | null;
  /** Whether a slot holds a visible record, without building it (counting). */
  present(resource: BillingSlotResource, slot: number): boolean;
  /** A record template for a slot created later through the sandbox's control (fields overridden by the caller). */
  template(resource: BillingSlotResource, slot: number): Row;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const STREAM_BILLING = 40;

/** Cents as a DrChrono `number` amount (2 dp). */
export const money = (cents: number): number => Math.round(cents) / 100;
/** Cents as a DrChrono decimal string (`ins_total`, `paid_total`, `balance_total`). */
export const moneyText = (cents: number): string => (Math.round(cents) / 100).toFixed(2);

function toCents(text: unknown): number {
  const value = Number.parseFloat(String(text ?? '0'));
  return Number.isFinite(value) ? Math.round(value * 100) : 0;
}

export function createSyntheticBilling(
  deps: BillingDeps,
  format: { timestamp(ms: number): string; date(ms: number): string },
): SyntheticBilling {
  const { seed, epochMs } = deps;
  const clamp = (ms: number): number => (ms > epochMs ? epochMs : ms);
  const h = (slot: number, salt: number): number => hash32(seed, STREAM_BILLING, slot, salt);

  let memoPatient: { index: number; facts: PatientFacts } | null = null;
  const patientFacts = (index: number): PatientFacts => {
    if (memoPatient?.index === index) return memoPatient.facts;
    const p = deps.patient(index);
    const ins = (key: string): { name: string; idNumber: string } | null => {
      const record = p[key] as Row | undefined;
      const name = String(record?.['insurance_company'] ?? '');
      return name ? { name, idNumber: String(record?.['insurance_id_number'] ?? '') } : null;
    };
    const facts: PatientFacts = {
      patientId: Number(p['id']),
      copayCents: toCents(p['copay']),
      primary: ins('primary_insurance') ?? { name: '', idNumber: '' },
      secondary: ins('secondary_insurance'),
    };
    memoPatient = { index, facts };
    return facts;
  };

  let memoClaim: { slot: number; claim: Claim | null } | null = null;
  const claim = (aSlot: number): Claim | null => {
    if (memoClaim?.slot === aSlot) return memoClaim.claim;
    const built = buildClaim(aSlot);
    memoClaim = { slot: aSlot, claim: built };
    return built;
  };

  const buildClaim = (aSlot: number): Claim | null => {
    if (!deps.appointmentPresent(aSlot)) return null;
    const core = deps.appointmentCore(aSlot);
    // Recurring-instance ids (`<id>_<date>`) are not integers; DrChrono types a line item's `appointment` as integer,
    // so those visits stay unbilled here.
    if (!core.past || core.status !== 'Complete' || !/^\d+$/.test(deps.appointmentId(aSlot, core.scheduledMs)))
      return null;
    const age = Math.floor((epochMs - core.scheduledMs) / DAY_MS);
    const pt = patientFacts(core.patientIndex);
    const plan = CODE_PLANS[h(aSlot, 1) % CODE_PLANS.length]!;
    const telehealth = h(aSlot, 2) % 10 < 3;
    const line1Deleted = plan.length === 2 && h(aSlot, 3) % 100 < 8;
    const allowedPercent = 55 + (h(aSlot, 4) % 31);
    const roll = h(aSlot, 5) % 100;
    const hasSecondary = pt.secondary !== null;
    const milestones = [0];
    if (line1Deleted) milestones.push(1);

    // Where the claim is, by age.
    let stage: ClaimStage;
    let deniedAt21 = false;
    let paidDay = 0;
    if (h(aSlot, 6) % 100 < 3 && age >= 1) {
      stage = 'rejected_clearinghouse';
      milestones.push(1);
    } else if (age < DAY.acknowledged) stage = 'submitted';
    else if (age < DAY.inProcessPayer) stage = 'acknowledged';
    else if (age < DAY.adjudicated) stage = 'in_process';
    else if (roll < 10) {
      deniedAt21 = true;
      const resubmit = h(aSlot, 7) % 2 === 0;
      if (resubmit && age >= DAY.paidAfterResubmit) {
        stage = 'paid';
        paidDay = DAY.paidAfterResubmit;
      } else stage = resubmit && age >= DAY.resubmitted ? 'resubmitted' : 'denied';
      if (resubmit && age >= DAY.resubmitted) milestones.push(DAY.resubmitted);
    } else if (roll < 13) stage = 'rejected_payer';
    else {
      stage = 'paid';
      paidDay = DAY.adjudicated;
    }
    if (stage !== 'rejected_clearinghouse' && age >= DAY.acknowledged) milestones.push(DAY.acknowledged);
    if (stage !== 'rejected_clearinghouse' && age >= DAY.inProcessPayer) milestones.push(DAY.inProcessPayer);
    if (stage !== 'rejected_clearinghouse' && age >= DAY.adjudicated) milestones.push(DAY.adjudicated);

    // Amounts per line, in cents.
    const codes = plan.map((code, i) => {
      const quantity = code === '96127' ? 1 + (h(aSlot, 20 + i) % 2) : 1;
      const priceCents = CPT_FEES[code].cents;
      const billedCents = priceCents * quantity;
      return {
        code,
        quantity,
        priceCents,
        billedCents,
        expectedCents: Math.round((billedCents * allowedPercent) / 100),
      };
    });
    const balanceDue = !hasSecondary && roll >= 13 && roll < 25;
    const fullCoverage = !hasSecondary && !balanceDue && pt.copayCents > 0 && h(aSlot, 8) % 100 < 8;
    const reversal =
      !hasSecondary && !balanceDue && !fullCoverage && paidDay === DAY.adjudicated && h(aSlot, 9) % 100 < 6;
    const allowed0 = codes[0]!.expectedCents;
    let pr0 = fullCoverage ? 0 : pt.copayCents > 0 ? Math.min(pt.copayCents, allowed0) : Math.round(allowed0 * 0.2);
    if (balanceDue) pr0 = Math.min(allowed0, pr0 + Math.round((allowed0 - pr0) * 0.4));
    const prOf = (i: number): number => (i === 0 ? pr0 : 0);

    // Insurance transactions, 3 slots per line.
    const transactions: Array<TxEvent | null> = new Array<TxEvent | null>(6).fill(null);
    const carc = DENIAL_CARCS[h(aSlot, 10) % DENIAL_CARCS.length]!;
    let secondaryPaid = false;
    for (let i = 0; i < codes.length; i += 1) {
      if (i === 1 && line1Deleted) continue;
      const line = codes[i]!;
      const insPaid = line.expectedCents - prOf(i);
      const contractual = line.billedCents - line.expectedCents;
      const payment = (day: number, extra = 0): TxEvent => ({
        day,
        claimStatus: '1',
        insName: 1,
        insPaidCents: insPaid + extra,
        adjCents: contractual - extra,
        group: 'CO',
        reason: '45',
      });
      const base = i * TRANSACTIONS_PER_LINE_ITEM;
      if (deniedAt21) {
        transactions[base] = {
          day: DAY.adjudicated,
          claimStatus: '4',
          insName: 1,
          insPaidCents: 0,
          adjCents: 0,
          group: 'CO',
          reason: carc,
        };
      }
      if (stage === 'paid') {
        if (deniedAt21) transactions[base + 1] = payment(paidDay);
        else if (reversal && age >= DAY.reversal + 1) {
          // The payer overpaid, took the payment back (claim status 22) and paid again correctly.
          const first = payment(paidDay, 1000);
          transactions[base] = first;
          transactions[base + 1] = {
            ...first,
            day: DAY.reversal,
            claimStatus: '22',
            insPaidCents: -first.insPaidCents,
            adjCents: -first.adjCents,
          };
          transactions[base + 2] = payment(DAY.reversal + 1);
        } else transactions[base] = payment(paidDay);
      }
      if (hasSecondary && prOf(i) > 0 && paidDay > 0 && age >= paidDay + DAY.secondaryLag) {
        secondaryPaid = true;
        transactions[base + 2] = {
          day: paidDay + DAY.secondaryLag,
          claimStatus: '2',
          insName: 2,
          insPaidCents: prOf(i),
          adjCents: 0,
          group: '',
          reason: '',
        };
      }
    }
    if (stage === 'paid' && hasSecondary && pr0 > 0 && !secondaryPaid) stage = 'cob';

    // Patient payments: the copay at check-in, then a balance payment, a refund, a payment on account or a duplicate.
    const payments: Array<PaymentEvent | null> = [null, null];
    const collected = !hasSecondary && pt.copayCents > 0 && h(aSlot, 11) % 100 < 85 ? pt.copayCents : 0;
    if (collected > 0) payments[0] = { day: 0, amountCents: collected, type: 'COPAY', applied: true, deletedDay: null };
    const settled = stage === 'paid';
    if (settled && fullCoverage && collected > 0 && age >= paidDay + DAY.refundLag) {
      payments[1] = {
        day: paidDay + DAY.refundLag,
        amountCents: -collected,
        type: 'REF',
        applied: true,
        deletedDay: null,
      };
    } else if (settled && !balanceDue && !hasSecondary && pr0 > collected && age >= paidDay + DAY.patientLag) {
      const type = pt.copayCents > 0 ? '' : 'COINSR';
      payments[1] = {
        day: paidDay + DAY.patientLag,
        amountCents: pr0 - collected,
        type,
        applied: true,
        deletedDay: null,
      };
    } else if (settled && balanceDue && h(aSlot, 12) % 100 < 30 && age >= paidDay + DAY.patientLag) {
      const amountCents = 2000 + (h(aSlot, 13) % 4) * 1000;
      payments[1] = { day: paidDay + DAY.patientLag, amountCents, type: '', applied: false, deletedDay: null };
    } else if (h(aSlot, 14) % 100 < 5 && age >= 1) {
      const amountCents = Math.max(pt.copayCents, 2500);
      payments[1] = { day: 0, amountCents, type: 'COPAY', applied: true, deletedDay: 1 };
    }

    for (const tx of transactions) if (tx) milestones.push(tx.day);
    for (const p of payments) {
      if (p) milestones.push(p.day);
      if (p?.deletedDay != null) milestones.push(p.deletedDay);
    }

    // Line totals from the events: balance = billed − paid − adjustment, on the insurer until it is done.
    const lines = codes.map((line, i): LineState => {
      let ins1 = 0;
      let ins2 = 0;
      let adj = 0;
      let primaryPaid = false;
      for (let j = 0; j < TRANSACTIONS_PER_LINE_ITEM; j += 1) {
        const tx = transactions[i * TRANSACTIONS_PER_LINE_ITEM + j];
        if (!tx) continue;
        if (tx.insName === 1) ins1 += tx.insPaidCents;
        else ins2 += tx.insPaidCents;
        adj += tx.adjCents;
        if (tx.claimStatus === '1') primaryPaid = true;
      }
      let ptPaid = 0;
      if (i === 0) for (const p of payments) if (p && p.applied && p.deletedDay === null) ptPaid += p.amountCents;
      const balance = line.billedCents - ins1 - ins2 - adj - ptPaid;
      const insurersDone = stage === 'paid';
      return {
        ...line,
        allowedCents: primaryPaid ? line.expectedCents : 0,
        ins1Cents: ins1,
        ins2Cents: ins2,
        adjCents: adj,
        ptPaidCents: ptPaid,
        balanceInsCents: insurersDone ? 0 : balance,
        balancePtCents: insurersDone ? balance : 0,
        deleted: i === 1 && line1Deleted,
        status: lineStatus(stage, balance),
      };
    });
    const total = lines.reduce((sum, l) => (l.deleted ? sum : sum + l.balanceInsCents + l.balancePtCents), 0);
    const ins1Status = stage === 'cob' ? 'Paid in Full' : lineStatus(stage, total);
    const appointmentBillingStatus =
      stage === 'paid'
        ? total > 0
          ? 'Balance Due'
          : age > 120
            ? 'Settled'
            : 'Paid In Full'
        : stage === 'cob'
          ? 'Bill Secondary Insurance'
          : stage === 'rejected_clearinghouse' || stage === 'rejected_payer' || stage === 'denied'
            ? 'Internal Review'
            : 'Bill Insurance';
    return {
      appointmentSlot: aSlot,
      appointmentNumber: Number(deps.appointmentId(aSlot, core.scheduledMs)),
      patientId: pt.patientId,
      doctorId: deps.doctorId(core.patientIndex),
      scheduledMs: core.scheduledMs,
      stage,
      telehealth,
      lines: [lines[0]!, lines[1] ?? null],
      transactions,
      payments,
      patient: pt,
      appointmentBillingStatus,
      ins1Status,
      ins2Status: secondaryPaid ? 'Paid in Full' : stage === 'cob' ? 'In Process Payer' : '',
      lastChangeDay: Math.max(...milestones.filter((d) => d <= age)),
    };
  };

  /** When an event `day` days after the visit happened (line items and postings at 2 pm-ish, copays at check-in). */
  const eventMs = (c: Claim, day: number, hours = 2): number => clamp(c.scheduledMs + day * DAY_MS + hours * HOUR_MS);

  const lineItemRecord = (slot: number, c: Claim, line: LineState): Row => ({
    id: BILLING_ID_BASE.line_items + slot,
    appointment: c.appointmentNumber,
    // `BillingLineItem` types patient and doctor as strings ("Patient ID", "Doctor ID"), unlike its other resources.
    patient: String(c.patientId),
    doctor: String(c.doctorId),
    code: line.code,
    procedure_type: 'C',
    description: CPT_FEES[line.code].description,
    modifiers: c.telehealth ? ['95'] : [],
    diagnosis_pointers: slot % 2 === 0 ? ['1'] : ['1', '2'],
    quantity: line.quantity,
    units: 'UN',
    price: money(line.priceCents),
    billed: money(line.billedCents),
    allowed: money(line.allowedCents),
    expected_reimbursement: money(line.expectedCents),
    ins1_paid: money(line.ins1Cents),
    ins2_paid: money(line.ins2Cents),
    ins3_paid: 0,
    ins_total: moneyText(line.ins1Cents + line.ins2Cents),
    pt_paid: money(line.ptPaidCents),
    paid_total: moneyText(line.ins1Cents + line.ins2Cents + line.ptPaidCents),
    adjustment: money(line.adjCents),
    balance_ins: money(line.balanceInsCents),
    balance_pt: money(line.balancePtCents),
    balance_total: moneyText(line.balanceInsCents + line.balancePtCents),
    billing_status: line.status,
    // "Status/Adj Type" on DrChrono's billing detail screen; its values are not documented: the claim's status.
    insurance_status: line.status,
    denied_flag: c.stage === 'denied',
    service_date: format.date(c.scheduledMs),
    posted_date: format.date(eventMs(c, 0)),
    updated_at: format.timestamp(eventMs(c, c.lastChangeDay)),
  });

  const traceNumber = (c: Claim, salt: number, prefix: string, length: number): string =>
    `${prefix}${String(h(c.appointmentSlot, 100 + salt))
      .padStart(10, '0')
      .slice(0, length)}`;

  const transactionRecord = (slot: number, c: Claim, tx: TxEvent): Row => {
    const lineSlot = Math.floor(slot / TRANSACTIONS_PER_LINE_ITEM);
    const insurer = tx.insName === 2 ? c.patient.secondary! : c.patient.primary;
    const at = format.timestamp(eventMs(c, tx.day));
    return {
      id: BILLING_ID_BASE.transactions + slot,
      line_item: BILLING_ID_BASE.line_items + lineSlot,
      appointment: c.appointmentNumber,
      patient: c.patientId,
      doctor: c.doctorId,
      ins_name: tx.insName,
      insurance: { id_number: insurer.idNumber, name: insurer.name, message: '' },
      ins_paid: money(tx.insPaidCents),
      adjustment: money(tx.adjCents),
      adjustment_group_code: tx.group,
      adjustment_reason: tx.reason,
      claim_status: tx.claimStatus,
      // One remittance (EFT trace) per payer and day: every line of the claim carries the same number.
      trace_number: traceNumber(c, tx.day * 4 + tx.insName, 'EFT', 10),
      check_date: format.date(eventMs(c, tx.day - 2)),
      posted_date: format.date(eventMs(c, tx.day)),
      created_at: at,
      updated_at: at,
    };
  };

  const paymentRecord = (slot: number, c: Claim, p: PaymentEvent): Row => {
    const method = PAYMENT_METHODS[h(c.appointmentSlot, 30 + (slot % 2)) % PAYMENT_METHODS.length]!;
    const at = eventMs(c, p.day, p.day === 0 ? 0 : 2);
    const id = BILLING_ID_BASE.patient_payments + slot;
    const trace =
      method === 'CASH'
        ? ''
        : method === 'CHCK'
          ? traceNumber(c, 50 + (slot % 2), '', 4)
          : traceNumber(c, 50 + (slot % 2), 'ch_', 8);
    return {
      id,
      patient: c.patientId,
      doctor: c.doctorId,
      appointment: p.applied ? c.appointmentNumber : null,
      line_item: p.applied ? BILLING_ID_BASE.line_items + c.appointmentSlot * 2 : null,
      amount: money(p.amountCents),
      payment_method: method,
      payment_transaction_type: p.type,
      trace_number: trace,
      notes: `Synthetic payment ${id} for test patient ${c.patientId}: ${NOTE_PHRASES[h(c.appointmentSlot, 60 + (slot % 2)) % NOTE_PHRASES.length]}`,
      received_date: format.date(at),
      posted_date: format.date(at),
      created_at: format.timestamp(at),
      updated_at: format.timestamp(at),
      created_by: String(c.doctorId),
    };
  };

  const record = (resource: BillingSlotResource, slot: number): Row | null => {
    if (slot < 0) return null;
    const aSlot = Math.floor(slot / BILLING_SLOTS_PER_APPOINTMENT[resource]);
    const c = claim(aSlot);
    if (!c) return null;
    switch (resource) {
      case 'line_items': {
        const line = c.lines[slot % 2];
        return line && !line.deleted ? lineItemRecord(slot, c, line) : null;
      }
      case 'transactions': {
        const tx = c.transactions[slot % 6];
        return tx ? transactionRecord(slot, c, tx) : null;
      }
      case 'patient_payments': {
        const p = c.payments[slot % 2];
        return p && p.deletedDay === null ? paymentRecord(slot, c, p) : null;
      }
      case 'line_item_deletions': {
        const line = c.lines[slot % 2];
        if (!line?.deleted) return null;
        return {
          billing_line_item_id: BILLING_ID_BASE.line_items + slot,
          appointment_id: c.appointmentNumber,
          created_at: format.timestamp(eventMs(c, 1)),
        };
      }
      case 'patient_payment_log': {
        const paymentSlot = Math.floor(slot / 2);
        const p = c.payments[paymentSlot % 2];
        const deleting = slot % 2 === 1;
        if (!p || (deleting && p.deletedDay === null)) return null;
        return paymentLogEntry(
          BILLING_ID_BASE.patient_payment_log + slot,
          paymentRecord(paymentSlot, c, p),
          deleting ? 'D' : 'C',
          deleting
            ? format.timestamp(eventMs(c, p.deletedDay!))
            : String(paymentRecord(paymentSlot, c, p)['created_at']),
        );
      }
    }
  };

  const present = (resource: BillingSlotResource, slot: number): boolean => {
    if (slot < 0) return false;
    const c = claim(Math.floor(slot / BILLING_SLOTS_PER_APPOINTMENT[resource]));
    if (!c) return false;
    switch (resource) {
      case 'line_items':
        return c.lines[slot % 2]?.deleted === false;
      case 'transactions':
        return c.transactions[slot % 6] != null;
      case 'patient_payments': {
        const p = c.payments[slot % 2];
        return p != null && p.deletedDay === null;
      }
      case 'line_item_deletions':
        return c.lines[slot % 2]?.deleted === true;
      case 'patient_payment_log': {
        const p = c.payments[Math.floor(slot / 2) % 2];
        return p != null && (slot % 2 === 0 || p.deletedDay !== null);
      }
    }
  };

  const template = (resource: BillingSlotResource, slot: number): Row => {
    const blank: Record<BillingSlotResource, Row> = {
      line_items: {
        id: BILLING_ID_BASE.line_items + slot,
        appointment: null,
        patient: null,
        doctor: null,
        code: '99214',
        procedure_type: 'C',
        description: CPT_FEES['99214'].description,
        modifiers: [],
        diagnosis_pointers: ['1'],
        quantity: 1,
        units: 'UN',
        price: money(CPT_FEES['99214'].cents),
        billed: money(CPT_FEES['99214'].cents),
        allowed: 0,
        expected_reimbursement: 0,
        ins1_paid: 0,
        ins2_paid: 0,
        ins3_paid: 0,
        ins_total: '0.00',
        pt_paid: 0,
        paid_total: '0.00',
        adjustment: 0,
        balance_ins: money(CPT_FEES['99214'].cents),
        balance_pt: 0,
        balance_total: moneyText(CPT_FEES['99214'].cents),
        billing_status: '',
        insurance_status: '',
        denied_flag: false,
        service_date: format.date(epochMs),
        posted_date: format.date(epochMs),
      },
      transactions: {
        line_item: null,
        appointment: null,
        patient: null,
        doctor: null,
        ins_name: 1,
        insurance: { id_number: '', name: '', message: '' },
        ins_paid: 0,
        adjustment: 0,
        adjustment_group_code: '',
        adjustment_reason: '',
        claim_status: '1',
        trace_number: '',
        check_date: format.date(epochMs),
        posted_date: format.date(epochMs),
      },
      patient_payments: {
        patient: null,
        doctor: null,
        appointment: null,
        line_item: null,
        amount: 0,
        payment_method: 'CRDT',
        payment_transaction_type: '',
        trace_number: '',
        notes: '',
        received_date: format.date(epochMs),
        posted_date: format.date(epochMs),
        created_by: '',
      },
      line_item_deletions: { billing_line_item_id: null, appointment_id: null },
      patient_payment_log: {},
    };
    return blank[resource];
  };

  return { claim, record, present, template };
}

/**
 * A `CashPaymentLog` entry for a payment. The schema's fields: `id`, `patient`, `doctor`, `appointment` (strings),
 * `payment_method`, `amount`, `action`, `source`, `created_by`, `updated_at`. It names no field for the payment's own
 * id; the sandbox adds `patient_payment` (not in the schema: a client must tolerate its absence).
 */
export function paymentLogEntry(id: number, payment: Row, action: 'C' | 'U' | 'D', at: string): Row {
  const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
  return {
    id,
    patient: text(payment['patient']),
    doctor: text(payment['doctor']),
    appointment: text(payment['appointment']),
    payment_method: payment['payment_method'] ?? '',
    amount: payment['amount'] ?? 0,
    action,
    source: '',
    created_by: text(payment['created_by']) ?? '',
    updated_at: at,
    patient_payment: payment['id'],
  };
}

function lineStatus(stage: ClaimStage, balanceCents: number): string {
  switch (stage) {
    case 'submitted':
      return `In Process ${CLEARINGHOUSE}`;
    case 'rejected_clearinghouse':
      return `Rejected ${CLEARINGHOUSE}`;
    case 'acknowledged':
      return 'Payer Acknowledged';
    case 'in_process':
    case 'resubmitted':
      return 'In Process Payer';
    case 'rejected_payer':
      return 'Rejected Payer';
    case 'denied':
      return 'ERA Denied';
    case 'cob':
      return 'Coordination of Benefits';
    case 'paid':
      return balanceCents > 0 ? 'Partially Paid' : 'Paid in Full';
  }
}
