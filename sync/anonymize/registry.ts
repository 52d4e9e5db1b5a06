import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import * as schema from '../../schema/index.js';
import { drop, keep, pseudonymId, replace, shiftDate, walkJsonRule, type ColumnRule } from './rules.js';

// The anonymizer's rule registry: every table of schema/index.ts, and for a copied table every column, with what
// `platform anonymize` does to it. test/unit/anonymize/registry.test.ts fails for a table or column missing here, so
// a new table (labs: one more entry) can never be copied without rules; the run itself refuses a database whose
// tables or columns differ from the registry.

/** A table copied into staging, de-identified column by column. */
export interface CopiedTable {
  readonly table: PgTable;
  readonly copy: true;
  /**
   * SQL over the source row (alias `t`) naming whose dates these are: the DrChrono patient id wherever the row has
   * one, so all of a patient's dates move by the same offset. Null falls back to the row itself.
   */
  readonly subject: string;
  readonly columns: Readonly<Record<string, ColumnRule>>;
}

/** A table staging does not get, and why. */
export interface SkippedTable {
  readonly table: PgTable;
  readonly copy: false;
  readonly reason: string;
}

export type TableRules = CopiedTable | SkippedTable;

const SURROGATE = keep('surrogate key: a database sequence number, not derived from any person (§164.514(c))');
const CODE = keep('code or category (distribution kept)');
const STATUS = keep('status (distribution kept)');
const MONEY = keep('amount (distribution kept)');
const FLAG = keep('flag');
const COUNT = keep('count or score');

const audited = { id: SURROGATE, created_at: shiftDate, updated_at: shiftDate };
const mirror = {
  ...audited,
  drchrono_id: pseudonymId,
  raw: walkJsonRule,
  source_updated_at: shiftDate,
  deleted_at: shiftDate,
};

const byPatient = 't.patient';
const byPatientOrAppointment =
  'coalesce(t.patient, (SELECT a.patient FROM appointments a WHERE a.drchrono_id = t.appointment))';

const copied = (table: PgTable, subject: string, columns: Record<string, ColumnRule>): CopiedTable => ({
  table,
  copy: true,
  subject,
  columns,
});
const skipped = (table: PgTable, reason: string): SkippedTable => ({ table, copy: false, reason });

const REGISTRY: readonly TableRules[] = [
  copied(schema.providers, "'provider:' || t.drchrono_id", {
    ...mirror,
    first_name: replace('first_name'),
    last_name: replace('last_name'),
    suffix: keep('credential (MD, PhD)'),
    npi_number: replace('token'),
    specialty: CODE,
    email: replace('email'),
    office_phone: replace('phone'),
    practice_group: pseudonymId,
    is_account_suspended: FLAG,
  }),
  copied(schema.patients, 't.drchrono_id', {
    ...mirror,
    chart_id: replace('token'),
    first_name: replace('first_name'),
    middle_name: replace('first_name'),
    last_name: replace('last_name'),
    nick_name: replace('first_name'),
    date_of_birth: { rule: 'generalise_age' },
    gender: CODE,
    email: replace('email'),
    cell_phone: replace('phone'),
    home_phone: replace('phone'),
    address: drop,
    city: drop,
    state: keep('state: the smallest geography Safe Harbor allows'),
    zip_code: { rule: 'generalise_zip' },
    preferred_language: CODE,
    patient_status: STATUS,
    doctor: pseudonymId,
    date_of_first_appointment: shiftDate,
    date_of_last_appointment: shiftDate,
  }),
  copied(schema.insuranceRecords, byPatient, {
    ...mirror,
    patient: pseudonymId,
    rank: CODE,
    insurance_company: keep('payer name: the insurer, not the person'),
    insurance_payer_id: keep('payer id: the insurer, not the person'),
    insurance_plan_type: CODE,
    insurance_id_number: replace('token'),
    insurance_group_number: replace('token'),
    insurance_group_name: replace('text'),
    patient_relationship_to_subscriber: CODE,
    subscriber_first_name: replace('first_name'),
    subscriber_last_name: replace('last_name'),
    subscriber_date_of_birth: { rule: 'generalise_age' },
  }),
  copied(schema.appointments, "coalesce(t.patient, 'appointment:' || t.drchrono_id)", {
    ...mirror,
    patient: pseudonymId,
    doctor: pseudonymId,
    office: pseudonymId,
    exam_room: CODE,
    scheduled_time: shiftDate,
    duration: COUNT,
    status: STATUS,
    billing_status: STATUS,
    ins1_status: STATUS,
    ins2_status: STATUS,
    reason: replace('text'),
    is_telehealth: FLAG,
    deleted_flag: FLAG,
    clinical_note_locked: FLAG,
  }),
  copied(schema.clinicalNotes, byPatientOrAppointment, {
    ...mirror,
    appointment: pseudonymId,
    patient: pseudonymId,
    doctor: pseudonymId,
    locked: FLAG,
    locked_by: pseudonymId,
    unlocked_at: shiftDate,
    sections: replace('text'),
  }),
  copied(schema.medications, byPatient, {
    ...mirror,
    patient: pseudonymId,
    doctor: pseudonymId,
    name: keep('drug name'),
    rxnorm: CODE,
    ndc: CODE,
    dosage_quantity: CODE,
    dosage_units: CODE,
    frequency: CODE,
    route: CODE,
    status: STATUS,
    date_prescribed: shiftDate,
    date_started_taking: shiftDate,
    date_stopped_taking: shiftDate,
  }),
  copied(schema.problems, byPatient, {
    ...mirror,
    patient: pseudonymId,
    doctor: pseudonymId,
    name: keep('diagnosis name'),
    icd_code: CODE,
    icd_version: CODE,
    status: STATUS,
    date_diagnosis: shiftDate,
    date_onset: shiftDate,
    date_changed: shiftDate,
  }),
  copied(schema.allergies, byPatient, {
    ...mirror,
    patient: pseudonymId,
    doctor: pseudonymId,
    description: keep('allergen'),
    reaction: keep('reaction term'),
    status: STATUS,
    snomed_reaction: CODE,
    notes: replace('text'),
  }),
  copied(schema.lineItems, byPatientOrAppointment, {
    ...mirror,
    appointment: pseudonymId,
    patient: pseudonymId,
    doctor: pseudonymId,
    code: keep('CPT/HCPCS code'),
    procedure_type: CODE,
    modifiers: CODE,
    diagnosis_pointers: CODE,
    quantity: COUNT,
    units: CODE,
    price: MONEY,
    billed: MONEY,
    allowed: MONEY,
    expected_reimbursement: MONEY,
    ins1_paid: MONEY,
    ins2_paid: MONEY,
    ins3_paid: MONEY,
    ins_total: MONEY,
    pt_paid: MONEY,
    paid_total: MONEY,
    adjustment: MONEY,
    balance_ins: MONEY,
    balance_pt: MONEY,
    balance_total: MONEY,
    billing_status: STATUS,
    insurance_status: STATUS,
    denied_flag: FLAG,
    service_date: shiftDate,
    posted_date: shiftDate,
  }),
  copied(schema.insuranceTransactions, byPatientOrAppointment, {
    ...mirror,
    line_item: pseudonymId,
    appointment: pseudonymId,
    patient: pseudonymId,
    doctor: pseudonymId,
    ins_name: CODE,
    insurance_name: keep('payer name: the insurer, not the person'),
    ins_paid: MONEY,
    adjustment: MONEY,
    adjustment_group_code: CODE,
    adjustment_reason: CODE,
    claim_status: STATUS,
    trace_number: replace('token'),
    check_date: shiftDate,
    posted_date: shiftDate,
  }),
  copied(schema.patientPayments, byPatientOrAppointment, {
    ...mirror,
    patient: pseudonymId,
    doctor: pseudonymId,
    appointment: pseudonymId,
    line_item: pseudonymId,
    amount: MONEY,
    payment_method: CODE,
    payment_transaction_type: CODE,
    trace_number: replace('token'),
    notes: replace('text'),
    received_date: shiftDate,
    posted_date: shiftDate,
    created_by: pseudonymId,
  }),
  copied(schema.claimStatuses, byPatientOrAppointment, {
    ...audited,
    claim_key: { rule: 'pseudonym_id', prefixOf: ':' },
    appointment: pseudonymId,
    patient: pseudonymId,
    payer_rank: CODE,
    payer_name: keep('payer name: the insurer, not the person'),
    status: STATUS,
    status_source: keep('which mapping rule decided (a status or posting code)'),
    denial_reasons: keep('CARC codes'),
    billed: MONEY,
    insurance_paid: MONEY,
    status_changed_at: shiftDate,
    deleted_at: shiftDate,
  }),
  copied(
    schema.claimStatusHistory,
    '(SELECT coalesce(c.patient, a.patient) FROM claim_statuses c LEFT JOIN appointments a ON a.drchrono_id = c.appointment WHERE c.claim_key = t.claim_key)',
    {
      id: SURROGATE,
      claim_key: { rule: 'pseudonym_id', prefixOf: ':' },
      from_status: STATUS,
      to_status: STATUS,
      status_source: keep('which mapping rule decided (a status or posting code)'),
      changed_at: shiftDate,
    },
  ),
  copied(schema.billingReconciliations, byPatientOrAppointment, {
    ...audited,
    appointment: pseudonymId,
    patient: pseudonymId,
    service_date: shiftDate,
    line_item_count: COUNT,
    charges: MONEY,
    insurance_paid: MONEY,
    insurance_posted: MONEY,
    patient_paid: MONEY,
    patient_posted: MONEY,
    refunds: MONEY,
    adjustments: MONEY,
    adjustments_posted: MONEY,
    balance: MONEY,
    claim_status: STATUS,
    needs_review: FLAG,
    review_reason: keep('written by sync/billing from figures and statuses, never from free text'),
    deleted_at: shiftDate,
  }),
  copied(schema.labOrders, byPatient, {
    ...mirror,
    patient: pseudonymId,
    doctor: pseudonymId,
    sublab: CODE,
    status: STATUS,
    priority: CODE,
    icd10_codes: CODE,
    requisition_id: replace('token'),
    external_requisition_id: replace('token'),
    accession_number: replace('token'),
    notes: replace('text'),
    timestamp: shiftDate,
    documents: drop,
  }),
  copied(schema.labTests, '(SELECT o.patient FROM lab_orders o WHERE o.drchrono_id = t.lab_order)', {
    ...mirror,
    lab_order: pseudonymId,
    name: CODE,
    code: CODE,
    description: CODE,
    status: STATUS,
    collection_date: shiftDate,
    specimen_source: CODE,
    specimen_condition: CODE,
    specimen_total_volume: COUNT,
    internal_notes: replace('text'),
    report_notes: replace('text'),
  }),
  copied(
    schema.labResults,
    'coalesce(t.patient, (SELECT o.patient FROM lab_orders o WHERE o.drchrono_id = t.lab_order))',
    {
      ...mirror,
      lab_test: pseudonymId,
      lab_order: pseudonymId,
      patient: pseudonymId,
      document: pseudonymId,
      test_performed: CODE,
      observation_code: CODE,
      observation_description: CODE,
      group_code: CODE,
      value: keep('lab value: a measurement or a short coded result (distribution kept)'),
      value_is_numeric: FLAG,
      value_numeric: keep('lab value (distribution kept)'),
      unit: CODE,
      normal_range: CODE,
      range_low: keep('reference range bound'),
      range_high: keep('reference range bound'),
      abnormal_status: CODE,
      is_abnormal: FLAG,
      status: STATUS,
      specimen_received: shiftDate,
      comments: replace('text'),
      severity: STATUS,
      severity_reason: CODE,
    },
  ),
  copied(schema.labReviews, 't.patient', {
    ...audited,
    lab_result: pseudonymId,
    lab_order: pseudonymId,
    patient: pseudonymId,
    doctor: pseudonymId,
    severity: STATUS,
    severity_reason: CODE,
    result_status: STATUS,
    result_digest: replace('token'),
    opened_at: shiftDate,
    acknowledged_at: shiftDate,
    acknowledged_by: replace('email'),
    closed_at: shiftDate,
    close_reason: CODE,
    reopened_count: COUNT,
    reopen_reason: CODE,
  }),
  copied(schema.labOrderStatuses, 't.patient', {
    ...audited,
    lab_order: pseudonymId,
    patient: pseudonymId,
    chart_id: replace('token'),
    ordered_at: shiftDate,
    received_at: shiftDate,
    status: STATUS,
    priority: CODE,
    result_count: COUNT,
    abnormal_count: COUNT,
    critical_count: COUNT,
    open_reviews: COUNT,
    review_state: STATUS,
    deleted_at: shiftDate,
  }),
  copied(schema.deepcuraNotes, 'coalesce(t.patient, t.source_patient_id)', {
    ...audited,
    deepcura_note_id: pseudonymId,
    source_appointment_id: pseudonymId,
    source_patient_id: pseudonymId,
    visit_date: shiftDate,
    transcript: replace('text'),
    soap_subjective: replace('text'),
    soap_objective: replace('text'),
    soap_assessment: replace('text'),
    soap_plan: replace('text'),
    icd10_suggestions: walkJsonRule,
    cpt_suggestions: walkJsonRule,
    medication_mentions: walkJsonRule,
    risk_level: STATUS,
    risk_factors: walkJsonRule,
    raw: walkJsonRule,
    source_created_at: shiftDate,
    appointment: pseudonymId,
    patient: pseudonymId,
    clinical_note: pseudonymId,
    link_status: STATUS,
    linked_at: shiftDate,
    deleted_at: shiftDate,
  }),
  copied(schema.intakeChecklists, byPatient, {
    ...audited,
    patient: pseudonymId,
    appointment: pseudonymId,
    status: STATUS,
    items: walkJsonRule,
    assigned_to: replace('token'),
    due_at: shiftDate,
    completed_at: shiftDate,
  }),
  copied(schema.postAppointmentTasks, byPatientOrAppointment, {
    ...audited,
    appointment: pseudonymId,
    patient: pseudonymId,
    task_type: CODE,
    status: STATUS,
    assigned_to: replace('token'),
    due_at: shiftDate,
    completed_at: shiftDate,
    notes: replace('text'),
  }),
  copied(schema.priorAuthorizations, byPatient, {
    ...audited,
    patient: pseudonymId,
    insurance_record_id: keep('surrogate key of insurance_records (copied as is, so the reference holds)'),
    service_description: replace('text'),
    cpt_code: CODE,
    icd_code: CODE,
    payer: keep('payer name: the insurer, not the person'),
    auth_number: replace('token'),
    status: STATUS,
    units_approved: COUNT,
    start_date: shiftDate,
    end_date: shiftDate,
    submitted_at: shiftDate,
    decided_at: shiftDate,
  }),
  copied(schema.questionnaireResponses, byPatient, {
    ...audited,
    patient: pseudonymId,
    appointment: pseudonymId,
    instrument: CODE,
    total_score: COUNT,
    answers: keep('item scores (numbers)'),
    administered_at: shiftDate,
  }),
  copied(schema.consentRecords, byPatient, {
    ...audited,
    patient: pseudonymId,
    consent_type: CODE,
    version: CODE,
    status: STATUS,
    signed_at: shiftDate,
    revoked_at: shiftDate,
    document_ref: drop,
  }),
  skipped(schema.staffRoles, 'workforce identities and access grants: staging keeps its own (IAP staff of staging)'),
  skipped(schema.syncLog, 'operational history of prod syncs (cursors, counts): meaningless for staging'),
  skipped(
    schema.changeLog,
    'before/after snapshots of prod rows (PHI); staging builds its own from the anonymized inserts (audit triggers)',
  ),
  skipped(schema.accessLog, "prod's outside-API call log: operational, not test data"),
  skipped(schema.processedMessages, "prod's Pub/Sub message ids: delivery state, not test data"),
  skipped(schema.outbox, "prod's change events: staging's relay must not publish prod history"),
  skipped(schema.webhookDeliveries, "prod's webhook delivery ids: replay state, not test data"),
  skipped(schema.drchronoCallBudget, "prod's DrChrono call counters: staging has its own budget"),
  skipped(schema.drchronoCallUsage, "prod's DrChrono calls by kind: staging has its own budget"),
  skipped(schema.syncWalks, "prod's walk positions (DrChrono cursor links): staging walks its own DrChrono"),
  skipped(schema.syncWalkSeen, 'ids a prod deep walk has seen: walk state, not test data'),
  skipped(schema.patientRefreshQueue, "prod's pending per-patient re-reads: sync state, not test data"),
  skipped(schema.labOrderRefresh, "prod's pending lab order re-reads: sync state, not test data"),
];

/** SQL name of a table. */
export const tableName = (table: PgTable): string => getTableConfig(table).name;

/** Copied tables ordered so that every foreign key's target comes first. */
function inDependencyOrder(entries: readonly TableRules[]): readonly TableRules[] {
  const byName = new Map(entries.map((e) => [tableName(e.table), e]));
  const done = new Set<string>();
  const out: TableRules[] = [];
  const visit = (name: string, path: readonly string[]) => {
    if (done.has(name)) return;
    if (path.includes(name)) throw new Error(`foreign-key cycle: ${[...path, name].join(' → ')}`);
    const entry = byName.get(name);
    if (!entry) return;
    for (const fk of getTableConfig(entry.table).foreignKeys) {
      const target = getTableConfig(fk.reference().foreignTable).name;
      if (target !== name) visit(target, [...path, name]);
    }
    done.add(name);
    out.push(entry);
  };
  for (const name of byName.keys()) visit(name, []);
  return out;
}

/** Every table's rules, copied tables in foreign-key order. */
export const anonymizeRegistry: readonly TableRules[] = inDependencyOrder(REGISTRY);
