import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  numeric,
  pgTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { auditedColumns, mirrorColumns, oneOf, timestamptz } from './columns.js';
import { appointments, patients, providers } from './drchrono.js';

// Billing: mirrors of DrChrono's line items (charges), insurance transactions (postings) and patient payments, and
// two tables derived from them per appointment — claim status per payer and the payment reconciliation — which
// sync/billing/ recomputes in the same transaction as the rows that change them (DESIGN: billing section of the
// README). Derived rows are tables, not views: a recompute writes only rows whose figures changed, so Coda receives
// exactly those, and the audit trail records each change with before and after.
//
// Money is numeric(12,2), parsed from DrChrono's strings or numbers as decimal text, never through a float.
// `line_item` on transactions and payments is not a foreign key: DrChrono may post a transaction for a line item we
// have not seen yet (or one deleted before we saw it); it is stored as sent and joins once the line item arrives.

/** `numeric(12,2)`: DrChrono's amounts are dollars with cents. */
const money = <TName extends string>(name: TName) => numeric(name, { precision: 12, scale: 2 });

/** `/api/line_items`: one billed procedure (CPT/HCPCS code) of an appointment. */
export const lineItems = pgTable(
  'line_items',
  {
    ...mirrorColumns(),
    appointmentDrchronoId: text('appointment').references(() => appointments.drchronoId),
    patientDrchronoId: text('patient').references(() => patients.drchronoId),
    doctorDrchronoId: text('doctor').references(() => providers.drchronoId),
    code: text('code'),
    procedureType: text('procedure_type'),
    modifiers: text('modifiers').array(),
    diagnosisPointers: text('diagnosis_pointers').array(),
    quantity: numeric('quantity', { precision: 12, scale: 3 }),
    units: text('units'),
    price: money('price'),
    billed: money('billed'),
    allowed: money('allowed'),
    expectedReimbursement: money('expected_reimbursement'),
    ins1Paid: money('ins1_paid'),
    ins2Paid: money('ins2_paid'),
    ins3Paid: money('ins3_paid'),
    insTotal: money('ins_total'),
    ptPaid: money('pt_paid'),
    paidTotal: money('paid_total'),
    adjustment: money('adjustment'),
    balanceIns: money('balance_ins'),
    balancePt: money('balance_pt'),
    balanceTotal: money('balance_total'),
    billingStatus: text('billing_status'),
    insuranceStatus: text('insurance_status'),
    deniedFlag: boolean('denied_flag'),
    serviceDate: date('service_date'),
    postedDate: date('posted_date'),
  },
  (t) => [
    index('line_items_appointment_idx').on(t.appointmentDrchronoId),
    index('line_items_patient_idx').on(t.patientDrchronoId),
  ],
);

/** `/api/transactions`: an insurance posting (payment, adjustment, denial) against one line item. */
export const insuranceTransactions = pgTable(
  'insurance_transactions',
  {
    ...mirrorColumns(),
    lineItemDrchronoId: text('line_item'),
    appointmentDrchronoId: text('appointment').references(() => appointments.drchronoId),
    patientDrchronoId: text('patient').references(() => patients.drchronoId),
    doctorDrchronoId: text('doctor').references(() => providers.drchronoId),
    /** 1 primary, 2 secondary (DrChrono's `ins_name`). */
    insName: text('ins_name'),
    insuranceName: text('insurance_name'),
    insPaid: money('ins_paid'),
    adjustment: money('adjustment'),
    adjustmentGroupCode: text('adjustment_group_code'),
    adjustmentReason: text('adjustment_reason'),
    /** X12 835 CLP02-like code as DrChrono sends it (`4` denied, `22` reversal, …). */
    claimStatus: text('claim_status'),
    traceNumber: text('trace_number'),
    checkDate: date('check_date'),
    postedDate: date('posted_date'),
  },
  (t) => [
    index('insurance_transactions_appointment_idx').on(t.appointmentDrchronoId),
    index('insurance_transactions_line_item_idx').on(t.lineItemDrchronoId),
  ],
);

/** `/api/patient_payments`: money the patient paid (or was refunded). */
export const patientPayments = pgTable(
  'patient_payments',
  {
    ...mirrorColumns(),
    patientDrchronoId: text('patient').references(() => patients.drchronoId),
    doctorDrchronoId: text('doctor').references(() => providers.drchronoId),
    appointmentDrchronoId: text('appointment').references(() => appointments.drchronoId),
    lineItemDrchronoId: text('line_item'),
    amount: money('amount'),
    paymentMethod: text('payment_method'),
    /** `''` credit, `REF` refund, `COR` correction, `COPAY`, `COINSR`, `OTHR`. */
    paymentTransactionType: text('payment_transaction_type'),
    traceNumber: text('trace_number'),
    notes: text('notes'),
    receivedDate: date('received_date'),
    postedDate: date('posted_date'),
    createdBy: text('created_by'),
  },
  (t) => [
    index('patient_payments_appointment_idx').on(t.appointmentDrchronoId),
    index('patient_payments_line_item_idx').on(t.lineItemDrchronoId),
    index('patient_payments_patient_idx').on(t.patientDrchronoId),
  ],
);

/** Claim statuses the platform reports (sync/billing/claim-status.ts maps DrChrono's values onto these). */
export const claimStatusValues = [
  'not_submitted',
  'submitted',
  'pending',
  'paid',
  'partially_paid',
  'denied',
  'rejected',
] as const;
export const payerRanks = ['primary', 'secondary'] as const;

/** One row per appointment and payer: the claim's current status, derived (no claim resource exists in DrChrono). */
export const claimStatuses = pgTable(
  'claim_statuses',
  {
    ...auditedColumns(),
    /** `<appointment>:<payer_rank>`: the Coda key, stable for the life of the claim. */
    claimKey: text('claim_key').notNull().unique(),
    appointmentDrchronoId: text('appointment')
      .notNull()
      .references(() => appointments.drchronoId),
    patientDrchronoId: text('patient'),
    payerRank: text('payer_rank').notNull(),
    payerName: text('payer_name'),
    status: text('status').notNull(),
    /** Which rule of the mapping table decided (e.g. `ins_status:Paid in Full`, `transaction:4`). */
    statusSource: text('status_source').notNull(),
    /** CARC codes of live denial postings, e.g. `CO-197`. */
    denialReasons: text('denial_reasons'),
    billed: money('billed'),
    insurancePaid: money('insurance_paid'),
    statusChangedAt: timestamptz('status_changed_at').notNull().defaultNow(),
    /** Set when the appointment no longer has this payer's claim (its line items deleted); Coda shows it Deleted. */
    deletedAt: timestamptz('deleted_at'),
  },
  (t) => [
    index('claim_statuses_appointment_idx').on(t.appointmentDrchronoId),
    check('claim_statuses_status_check', oneOf('status', claimStatusValues)),
    check('claim_statuses_payer_rank_check', oneOf('payer_rank', payerRanks)),
  ],
);

/**
 * Every status a claim has had, in order: appended by the recompute whenever `claim_statuses.status` changes. It is
 * itself a history (append-only for the app role), so it carries no audit triggers.
 */
export const claimStatusHistory = pgTable(
  'claim_status_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    claimKey: text('claim_key').notNull(),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    statusSource: text('status_source').notNull(),
    changedAt: timestamptz('changed_at').notNull().defaultNow(),
  },
  (t) => [
    index('claim_status_history_claim_idx').on(t.claimKey, t.id),
    check('claim_status_history_to_check', oneOf('to_status', claimStatusValues)),
  ],
);

/** Per appointment: what was charged, paid and adjusted, from the line items and from the postings, side by side. */
export const billingReconciliations = pgTable(
  'billing_reconciliations',
  {
    ...auditedColumns(),
    appointmentDrchronoId: text('appointment')
      .notNull()
      .references(() => appointments.drchronoId),
    patientDrchronoId: text('patient'),
    serviceDate: date('service_date'),
    lineItemCount: integer('line_item_count').notNull(),
    charges: money('charges').notNull(),
    /** Σ line items' `ins_total` (what DrChrono applied to the lines). */
    insurancePaid: money('insurance_paid').notNull(),
    /** Σ live transactions' `ins_paid` (what was posted). */
    insurancePosted: money('insurance_posted').notNull(),
    /** Σ line items' `pt_paid`. */
    patientPaid: money('patient_paid').notNull(),
    /** Σ live patient payments, refunds counted negative. */
    patientPosted: money('patient_posted').notNull(),
    refunds: money('refunds').notNull(),
    /** Σ line items' `adjustment`. */
    adjustments: money('adjustments').notNull(),
    /** Σ live transactions' `adjustment`. */
    adjustmentsPosted: money('adjustments_posted').notNull(),
    /** Σ line items' `balance_ins + balance_pt`. */
    balance: money('balance').notNull(),
    /** Worst claim status over the appointment's payers (denied > rejected > … > paid). */
    claimStatus: text('claim_status'),
    needsReview: boolean('needs_review').notNull(),
    /** Why, in words staff can act on; null when everything agrees. */
    reviewReason: text('review_reason'),
    /** Set when nothing billable is left on the appointment (every line item, posting and payment deleted). */
    deletedAt: timestamptz('deleted_at'),
  },
  (t) => [
    uniqueIndex('billing_reconciliations_appointment_idx').on(t.appointmentDrchronoId),
    index('billing_reconciliations_review_idx')
      .on(t.needsReview)
      .where(sql`needs_review`),
  ],
);
