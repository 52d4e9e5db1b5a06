import { insuranceRanks } from '../../schema/drchrono.js';
import { UnstorableValue } from '../db/pg-values.js';
import { classifyLabResult, parseDecimal, parseReferenceRange } from '../labs/index.js';
import { InvalidTimestampError, practiceLocalToUtc } from '../time.js';
import type { MirrorRows, MirrorTable } from '../mirrors.js';
import type { DrChronoLabResource, DrChronoRecord, DrChronoResource } from './types.js';

// DrChrono objects → mirror rows. Column names are DrChrono's; values are normalised: ids to text, '' to null,
// zone-less times to UTC instants, decimals kept as strings for numeric columns. Each row literal is typed from its
// Drizzle table (MirrorRows), so a misspelt column or a value of the wrong type is a compile error.

export interface MapContext {
  /** The practice's IANA time zone, in which DrChrono writes timestamps. */
  readonly timeZone: string;
}

/** Rows per mirror table produced from one batch of DrChrono objects, each typed from its table. */
export type MappedRows = { [K in MirrorTable]?: MirrorRows[K][] };

/** The columns every mirror row has, which {@link withSource} fills in. */
type SourceColumn = 'drchrono_id' | 'raw' | 'source_updated_at';

// An object or array is not text (String() of a deeply nested array even overflows the stack): null + warning.
const text = (v: unknown): string | UnstorableValue | null =>
  v === null || v === undefined || v === ''
    ? null
    : typeof v === 'object'
      ? new UnstorableValue('not_text')
      : String(v);
const date = (v: unknown): string | null => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : null);
const int = (v: unknown): number | null =>
  v === null || v === undefined || v === '' || Number.isNaN(Number(v)) ? null : Math.trunc(Number(v));
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
/**
 * An amount as decimal text for a numeric column: DrChrono sends strings (`"120.00"`) for some fields and JSON numbers
 * for others. A JSON number's shortest decimal form (`String`) is exactly the text it was parsed from for amounts like
 * 123.45, so no value goes through float arithmetic; the normaliser (pg-values) checks the digits and rounds sub-cent
 * amounts with a warning.
 */
const money = (v: unknown): string | UnstorableValue | null =>
  v === null || v === undefined || v === ''
    ? null
    : typeof v === 'number' || typeof v === 'string'
      ? String(v).trim()
      : new UnstorableValue('not_a_decimal');
/** A list of codes (modifiers, diagnosis pointers) as text[]; the normaliser refuses anything but strings and numbers. */
const codes = (v: unknown): unknown[] | null => (Array.isArray(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> | null =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** An impossible timestamp (month 13, hour 25) becomes null with a warning in the upsert, not a failed page. */
function instant(v: unknown, ctx: MapContext): string | UnstorableValue | null {
  if (typeof v !== 'string' || v === '') return null;
  try {
    return practiceLocalToUtc(v, ctx.timeZone);
  } catch (error) {
    if (error instanceof InvalidTimestampError) return new UnstorableValue('not_an_instant');
    throw error;
  }
}

/**
 * Adds the columns every mirror row has to `columns` (the row of table `K` without them). Not
 * `{ ...base, ...columns }`: spreading into a literal with more properties after it leaves V8 a slow dictionary
 * object, which made mapping 10x slower in a full sync.
 */
function withSource<K extends MirrorTable>(
  record: DrChronoRecord,
  ctx: MapContext,
  columns: Omit<MirrorRows[K], SourceColumn>,
): MirrorRows[K] {
  const row = columns as Omit<MirrorRows[K], SourceColumn> & Record<SourceColumn, unknown>;
  row.drchrono_id = String(record.id);
  row.raw = record;
  row.source_updated_at = instant(record['updated_at'], ctx);
  return row as MirrorRows[K];
}

/** The coverage ranks, as the insurance_records CHECK lists them (declared in schema/drchrono.ts). */
export { insuranceRanks };

/**
 * Whether a patient object carries its coverage at all. The insurance objects are verbose-only: a patient served
 * without `verbose=true` says nothing about its coverage, which is not the same as having none.
 */
export function carriesInsurance(patient: DrChronoRecord): boolean {
  return insuranceRanks.some((rank) => `${rank}_insurance` in patient);
}

/**
 * A clinical note is locked when `signee.locked_by` is set (DrChrono's schema: the note has no `locked` field) or,
 * where an object does carry `locked` (older serializers, the appointment's verbose `clinical_note`), it is true.
 */
export function isNoteLocked(note: DrChronoRecord): boolean {
  return note['locked'] === true || text(obj(note['signee'])?.['locked_by']) !== null;
}

/** The insurance rows a patient carries; a rank with neither company nor member id is "no coverage". */
export function insuranceRows(patient: DrChronoRecord, ctx: MapContext): MirrorRows['insurance_records'][] {
  return insuranceRanks.flatMap((rank): MirrorRows['insurance_records'][] => {
    const ins = obj(patient[`${rank}_insurance`]);
    if (!ins || (!text(ins['insurance_company']) && !text(ins['insurance_id_number']))) return [];
    return [
      {
        drchrono_id: `${patient.id}:${rank}`,
        raw: ins,
        source_updated_at: instant(patient['updated_at'], ctx),
        patient: String(patient.id),
        rank,
        insurance_company: text(ins['insurance_company']),
        insurance_payer_id: text(ins['insurance_payer_id']),
        insurance_plan_type: text(ins['insurance_plan_type']),
        insurance_id_number: text(ins['insurance_id_number']),
        insurance_group_number: text(ins['insurance_group_number']),
        insurance_group_name: text(ins['insurance_group_name']),
        patient_relationship_to_subscriber: text(ins['patient_relationship_to_subscriber']),
        subscriber_first_name: text(ins['subscriber_first_name']),
        subscriber_last_name: text(ins['subscriber_last_name']),
        subscriber_date_of_birth: date(ins['subscriber_date_of_birth']),
      },
    ];
  });
}

/** The mirror table each DrChrono resource lands in. */
export const tableOf = {
  doctors: 'providers',
  patients: 'patients',
  appointments: 'appointments',
  clinical_notes: 'clinical_notes',
  medications: 'medications',
  problems: 'problems',
  allergies: 'allergies',
  line_items: 'line_items',
  transactions: 'insurance_transactions',
  patient_payments: 'patient_payments',
} as const satisfies Record<DrChronoResource, MirrorTable>;

type TableOf = typeof tableOf;

/** One DrChrono object → the row of its resource's table; each row literal is checked against that table. */
const mapOne: { readonly [R in DrChronoResource]: (r: DrChronoRecord, ctx: MapContext) => MirrorRows[TableOf[R]] } = {
  doctors: (r, ctx) =>
    withSource<'providers'>(r, ctx, {
      first_name: text(r['first_name']),
      last_name: text(r['last_name']),
      suffix: text(r['suffix']),
      npi_number: text(r['npi_number']),
      specialty: text(r['specialty']),
      email: text(r['email']),
      office_phone: text(r['office_phone']),
      practice_group: text(r['practice_group']),
      is_account_suspended: bool(r['is_account_suspended']),
    }),
  patients: (r, ctx) =>
    withSource<'patients'>(r, ctx, {
      chart_id: text(r['chart_id']),
      first_name: text(r['first_name']),
      middle_name: text(r['middle_name']),
      last_name: text(r['last_name']),
      nick_name: text(r['nick_name']),
      date_of_birth: date(r['date_of_birth']),
      gender: text(r['gender']),
      email: text(r['email']),
      cell_phone: text(r['cell_phone']),
      home_phone: text(r['home_phone']),
      address: text(r['address']),
      city: text(r['city']),
      state: text(r['state']),
      zip_code: text(r['zip_code']),
      preferred_language: text(r['preferred_language']),
      patient_status: text(r['patient_status']),
      doctor: text(r['doctor']),
      date_of_first_appointment: date(r['date_of_first_appointment']),
      date_of_last_appointment: date(r['date_of_last_appointment']),
    }),
  appointments: (r, ctx) =>
    withSource<'appointments'>(r, ctx, {
      patient: text(r['patient']),
      doctor: text(r['doctor']),
      office: text(r['office']),
      exam_room: int(r['exam_room']),
      scheduled_time: instant(r['scheduled_time'], ctx),
      duration: int(r['duration']),
      status: text(r['status']),
      billing_status: text(r['billing_status']),
      ins1_status: text(r['ins1_status']),
      ins2_status: text(r['ins2_status']),
      reason: text(r['reason']),
      deleted_flag: r['deleted_flag'] === true,
      clinical_note_locked: bool(obj(r['clinical_note'])?.['locked']),
    }),
  clinical_notes: (r, ctx) =>
    withSource<'clinical_notes'>(r, ctx, {
      appointment: text(r['appointment']),
      patient: text(r['patient']),
      doctor: text(r['doctor']),
      locked: isNoteLocked(r),
      locked_by: text(obj(r['signee'])?.['locked_by']),
      sections: noteText(r['clinical_note_sections']),
    }),
  medications: (r, ctx) =>
    withSource<'medications'>(r, ctx, {
      patient: text(r['patient']),
      doctor: text(r['doctor']),
      name: text(r['name']),
      rxnorm: text(r['rxnorm']),
      ndc: text(r['ndc']),
      dosage_quantity: text(r['dosage_quantity']),
      dosage_units: text(r['dosage_units']),
      frequency: text(r['frequency']),
      route: text(r['route']),
      status: text(r['status']),
      date_prescribed: date(r['date_prescribed']),
      date_started_taking: date(r['date_started_taking']),
      date_stopped_taking: date(r['date_stopped_taking']),
    }),
  problems: (r, ctx) =>
    withSource<'problems'>(r, ctx, {
      patient: text(r['patient']),
      doctor: text(r['doctor']),
      name: text(r['name']),
      icd_code: text(r['icd_code']),
      icd_version: int(r['icd_version']),
      status: text(r['status']),
      date_diagnosis: date(r['date_diagnosis']),
      date_onset: date(r['date_onset']),
      date_changed: date(r['date_changed']),
    }),
  allergies: (r, ctx) =>
    withSource<'allergies'>(r, ctx, {
      patient: text(r['patient']),
      doctor: text(r['doctor']),
      description: text(r['description']),
      reaction: text(r['reaction']),
      status: text(r['status']),
      snomed_reaction: text(r['snomed_reaction']),
      notes: text(r['notes']),
    }),
  line_items: (r, ctx) =>
    withSource<'line_items'>(r, ctx, {
      appointment: text(r['appointment']),
      patient: text(r['patient']),
      doctor: text(r['doctor']),
      code: text(r['code']),
      procedure_type: text(r['procedure_type']),
      modifiers: codes(r['modifiers']) as string[] | null,
      diagnosis_pointers: codes(r['diagnosis_pointers']) as string[] | null,
      quantity: money(r['quantity']),
      units: text(r['units']),
      price: money(r['price']),
      billed: money(r['billed']),
      allowed: money(r['allowed']),
      expected_reimbursement: money(r['expected_reimbursement']),
      ins1_paid: money(r['ins1_paid']),
      ins2_paid: money(r['ins2_paid']),
      ins3_paid: money(r['ins3_paid']),
      ins_total: money(r['ins_total']),
      pt_paid: money(r['pt_paid']),
      paid_total: money(r['paid_total']),
      adjustment: money(r['adjustment']),
      balance_ins: money(r['balance_ins']),
      balance_pt: money(r['balance_pt']),
      balance_total: money(r['balance_total']),
      billing_status: text(r['billing_status']),
      insurance_status: text(r['insurance_status']),
      denied_flag: bool(r['denied_flag']),
      service_date: date(r['service_date']),
      posted_date: date(r['posted_date']),
    }),
  transactions: (r, ctx) =>
    withSource<'insurance_transactions'>(r, ctx, {
      line_item: text(r['line_item']),
      appointment: text(r['appointment']),
      patient: text(r['patient']),
      doctor: text(r['doctor']),
      ins_name: text(r['ins_name']),
      insurance_name: text(obj(r['insurance'])?.['name']),
      ins_paid: money(r['ins_paid']),
      adjustment: money(r['adjustment']),
      adjustment_group_code: text(r['adjustment_group_code']),
      adjustment_reason: text(r['adjustment_reason']),
      claim_status: text(r['claim_status']),
      trace_number: text(r['trace_number']),
      check_date: date(r['check_date']),
      posted_date: date(r['posted_date']),
    }),
  patient_payments: (r, ctx) =>
    withSource<'patient_payments'>(r, ctx, {
      patient: text(r['patient']),
      doctor: text(r['doctor']),
      appointment: text(r['appointment']),
      line_item: text(r['line_item']),
      amount: money(r['amount']),
      payment_method: text(r['payment_method']),
      payment_transaction_type: text(r['payment_transaction_type']),
      trace_number: text(r['trace_number']),
      notes: text(r['notes']),
      received_date: date(r['received_date']),
      posted_date: date(r['posted_date']),
      created_by: text(r['created_by']),
    }),
};

/** Sections as readable text (`## Section` then its values), for the Coda view; `raw` keeps the structure. */
function noteText(sections: unknown): string | null {
  if (!Array.isArray(sections) || sections.length === 0) return null;
  return sections
    .map((s) => {
      const section = obj(s) ?? {};
      const values = Array.isArray(section['values'])
        ? section['values'].map((v) => text(obj(v)?.['value'])).filter(Boolean)
        : [];
      return [`## ${text(section['name']) ?? 'Section'}`, ...values].join('\n');
    })
    .join('\n\n');
}

/** Maps a page of one resource to rows; patients that carry their coverage also yield their insurance rows. */
export function mapRecords<R extends DrChronoResource>(
  resource: R,
  records: readonly DrChronoRecord[],
  ctx: MapContext,
): MappedRows {
  const map: (r: DrChronoRecord, ctx: MapContext) => MirrorRows[TableOf[R]] = mapOne[resource];
  const rows = records.map((r) => map(r, ctx));
  const mapped: MappedRows = {};
  mapped[tableOf[resource]] = rows;
  if (resource === 'patients')
    mapped.insurance_records = records.filter(carriesInsurance).flatMap((r) => insuranceRows(r, ctx));
  return mapped;
}

/** The mirror table each DrChrono lab resource lands in (same names). */
export const labTableOf = {
  lab_orders: 'lab_orders',
  lab_tests: 'lab_tests',
  lab_results: 'lab_results',
} as const satisfies Record<DrChronoLabResource, MirrorTable>;

type LabTableOf = typeof labTableOf;

const TRUE_WORDS = new Set(['true', '1', 'y', 'yes', 't']);
const FALSE_WORDS = new Set(['false', '0', 'n', 'no', 'f']);
/** DrChrono's `is_abnormal` is typed string ('true'/'false'); a boolean is taken as is; anything else is null. */
function flag(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return null;
  const word = v.trim().toLowerCase();
  return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : null;
}
/** The strings of a list (order `documents`), or the `code` of each object (`icd10_codes[] {code, description}`). */
function idList(v: unknown, key?: string): string[] | null {
  if (!Array.isArray(v)) return null;
  return v
    .map((item) => (key ? obj(item)?.[key] : item))
    .filter((item): item is string | number => typeof item === 'string' || typeof item === 'number')
    .map(String);
}
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** One lab object → its row. A result's `patient` is filled in by the caller from its order (lab-apply.ts). */
const labMapOne: {
  readonly [R in DrChronoLabResource]: (r: DrChronoRecord, ctx: MapContext) => MirrorRows[LabTableOf[R]];
} = {
  lab_orders: (r, ctx) =>
    withSource<'lab_orders'>(r, ctx, {
      patient: text(r['patient']),
      doctor: text(r['doctor']),
      sublab: text(r['sublab']),
      status: text(r['status']),
      priority: text(r['priority']),
      icd10_codes: idList(r['icd10_codes'], 'code'),
      requisition_id: text(r['requisition_id']),
      external_requisition_id: text(r['external_requisition_id']),
      accession_number: text(r['accession_number']),
      notes: text(r['notes']),
      timestamp: instant(r['timestamp'], ctx),
      documents: idList(r['documents']),
    }),
  lab_tests: (r, ctx) =>
    withSource<'lab_tests'>(r, ctx, {
      lab_order: text(r['lab_order']),
      name: text(r['name']),
      code: text(r['code']),
      description: text(r['description']),
      status: text(r['status']),
      collection_date: instant(r['collection_date'], ctx),
      specimen_source: text(r['specimen_source']),
      specimen_condition: text(r['specimen_condition']),
      specimen_total_volume: money(r['specimen_total_volume']),
      internal_notes: text(r['internal_notes']),
      report_notes: text(r['report_notes']),
    }),
  lab_results: (r, ctx) => {
    const value = str(r['value']);
    const valueIsNumeric = bool(r['value_is_numeric']);
    const normalRange = str(r['normal_range']);
    const range = parseReferenceRange(normalRange);
    const verdict = classifyLabResult({
      abnormalStatus: str(r['abnormal_status']),
      isAbnormal: typeof r['is_abnormal'] === 'boolean' ? r['is_abnormal'] : str(r['is_abnormal']),
      value,
      valueIsNumeric,
      unit: str(r['unit']),
      normalRange,
    });
    return withSource<'lab_results'>(r, ctx, {
      lab_test: text(r['lab_test']),
      lab_order: text(r['lab_order']),
      patient: null,
      document: text(r['document']),
      test_performed: text(r['test_performed']),
      observation_code: text(r['observation_code']),
      observation_description: text(r['observation_description']),
      group_code: text(r['group_code']),
      value: text(r['value']),
      value_is_numeric: valueIsNumeric,
      // A value flagged numeric that is not one decimal ("see note", "<0.5") keeps its text and no number.
      value_numeric: valueIsNumeric === true ? parseDecimal(value) : null,
      unit: text(r['unit']),
      normal_range: text(r['normal_range']),
      range_low: range.low,
      range_high: range.high,
      abnormal_status: text(r['abnormal_status']),
      is_abnormal: flag(r['is_abnormal']),
      status: text(r['status']),
      specimen_received: instant(r['specimen_received'], ctx),
      comments: text(r['comments']),
      severity: verdict.severity,
      severity_reason: verdict.reason,
    });
  },
};

/** Maps lab objects of one resource to the rows of its table. */
export function mapLabRecords<R extends DrChronoLabResource>(
  resource: R,
  records: readonly DrChronoRecord[],
  ctx: MapContext,
): MirrorRows[LabTableOf[R]][] {
  const map: (r: DrChronoRecord, ctx: MapContext) => MirrorRows[LabTableOf[R]] = labMapOne[resource];
  return records.map((r) => map(r, ctx));
}
