import { BILLING_ID_BASE, BILLING_SLOTS_PER_APPOINTMENT, createSyntheticBilling } from './billing.js';
import type { BillingSlotResource, SyntheticBilling } from './billing.js';
import { formatDate, formatTimestamp } from './calendar.js';
import { syntheticLabPhiValues } from './labs.js';
import { ownerDoctorIndex } from './owners.js';
import { RecordRandom, hash32 } from './prng.js';
import {
  ALLERGIES,
  APPOINTMENT_REASONS,
  AREA_CODES,
  CITIES,
  DOCTOR_SPECIALTIES,
  FIRST_NAMES,
  FUTURE_STATUSES,
  MEDICATIONS,
  MIDDLE_NAMES,
  NOTE_PHRASES,
  PAST_STATUSES,
  PAYERS,
  PROBLEMS,
  STREETS,
  SURNAME_STEMS,
} from './vocab.js';

/**
 * A seeded synthetic practice in DrChrono's own shapes (REST API v4 field names). Every record is a pure function of
 * (seed, index): nothing is held in memory, so 10 and 1,000,000 patients cost the same to set up, and any page can be
 * generated on demand. Each patient owns fixed "slots" for child records (appointments, notes, medications, problems,
 * allergies); a slot is present or empty by hash, so patients have varying counts while slot → owner stays O(1).
 */

export { formatDate, formatTimestamp };

/** A DrChrono JSON object as the REST API serializes it. */
export type DrChronoRecord = Record<string, unknown>;

export const ID_BASE = {
  doctors: 200,
  offices: 300,
  patients: 1_000_000,
  appointments: 10_000_000,
  clinical_notes: 20_000_000,
  medications: 30_000_000,
  problems: 40_000_000,
  allergies: 50_000_000,
  ...BILLING_ID_BASE,
} as const;

/** Child record slots per patient. Slot `s` belongs to patient index `floor(s / SLOTS[resource])`. */
export const SLOTS_PER_PATIENT = {
  appointments: 4,
  clinical_notes: 4, // one per appointment slot; present when that appointment is a completed past visit
  medications: 3,
  problems: 3,
  allergies: 2,
} as const;

export type ChildResource = keyof typeof SLOTS_PER_PATIENT;

/** Billing record slots per patient (billing.ts: fixed slots per appointment slot). */
export const BILLING_SLOTS_PER_PATIENT = Object.fromEntries(
  Object.entries(BILLING_SLOTS_PER_APPOINTMENT).map(([resource, n]) => [resource, n * SLOTS_PER_PATIENT.appointments]),
) as Record<BillingSlotResource, number>;

export const MAX_PATIENTS = 1_000_000;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface SyntheticDatasetOptions {
  /**
   * Seed; the same seed gives byte-identical records.
   * @default 1
   */
  readonly seed?: number;
  /**
   * Number of generated patients, 0..1,000,000.
   * @default 500
   */
  readonly patientCount?: number;
  /**
   * Number of doctors (providers) patients are spread across, 1..50.
   * @default 5
   */
  readonly doctorCount?: number;
  /**
   * The dataset's "now", in epoch milliseconds: every generated `updated_at` is at or before it; some appointments are
   * scheduled after it. Timestamps are rendered as UTC wall-clock time without a zone, like DrChrono's.
   * @default Date.UTC(2026, 2, 1) (2026-03-01T00:00:00)
   */
  readonly epochMs?: number;
}

export interface SyntheticDataset {
  readonly seed: number;
  readonly patientCount: number;
  readonly doctorCount: number;
  readonly epochMs: number;
  /** `epochMs` formatted like `updated_at`; no generated record is newer. */
  readonly epochTimestamp: string;
  /** Number of slots for a resource: doctors/patients = count, children = patientCount × slots per patient. */
  slotCount(resource: ChildResource | BillingSlotResource | 'patients' | 'doctors'): number;
  doctor(index: number): DrChronoRecord;
  /** Works for any index ≥ 0, also beyond `patientCount` (used as a template for records created later). */
  patient(index: number): DrChronoRecord;
  /** The record in a child slot, or null when the slot is empty. `force` fills an empty slot (templates). */
  child(resource: ChildResource, slot: number, force?: boolean): DrChronoRecord | null;
  /** Whether a child slot holds a record, without building it (cheap; used for counting). */
  childPresent(resource: ChildResource, slot: number): boolean;
  /** The revenue cycle of billed appointments: line items, transactions, patient payments and their logs. */
  readonly billing: SyntheticBilling;
}

/** How many of a patient's slots hold a record, from a per-patient hash `h`. */
const CHILD_COUNT: Record<ChildResource, (h: number) => number> = {
  appointments: (h) => 1 + (h % 4),
  clinical_notes: () => 4,
  medications: (h) => h % 4,
  problems: (h) => 1 + (h % 3),
  allergies: (h) => h % 3,
};

/** What a child generator gets: the slot, its owners and the slot's own random stream. */
interface ChildContext {
  readonly slot: number;
  readonly patientId: number;
  readonly doctorId: number;
  readonly r: RecordRandom;
}

const STREAM = {
  doctor: 1,
  patient: 2,
  appointments: 3,
  clinical_notes: 4,
  medications: 5,
  problems: 6,
  allergies: 7,
  counts: 8,
} as const;

/** A phone number in the fictional 555-0100..555-0199 range. */
function fakePhone(r: RecordRandom): string {
  return `(${r.pick(AREA_CODES)}) 555-01${String(r.int(100)).padStart(2, '0')}`;
}

function emptyInsurance(): DrChronoRecord {
  return {
    insurance_company: '',
    insurance_payer_id: '',
    insurance_plan_type: '',
    insurance_plan_name: '',
    insurance_id_number: '',
    insurance_group_number: '',
    insurance_group_name: '',
    insurance_claim_office_number: '',
    is_subscriber_the_patient: true,
    patient_relationship_to_subscriber: '',
    subscriber_first_name: '',
    subscriber_middle_name: '',
    subscriber_last_name: '',
    subscriber_suffix: '',
    subscriber_date_of_birth: null,
    subscriber_gender: '',
    subscriber_address: '',
    subscriber_city: '',
    subscriber_state: '',
    subscriber_zip_code: '',
    subscriber_country: '',
    subscriber_social_security: '',
    photo_front: null,
    photo_back: null,
  };
}

/**
 * Creates a synthetic dataset. Validates options once; throws a plain Error naming the option on bad input.
 * @throws Error when `patientCount` or `doctorCount` is out of range.
 */
export function createSyntheticDataset(options: SyntheticDatasetOptions = {}): SyntheticDataset {
  const seed = (options.seed ?? 1) | 0;
  const patientCount = options.patientCount ?? 500;
  const doctorCount = options.doctorCount ?? 5;
  const epochMs = options.epochMs ?? Date.UTC(2026, 2, 1);
  if (!Number.isInteger(patientCount) || patientCount < 0 || patientCount > MAX_PATIENTS) {
    throw new Error(
      `createSyntheticDataset: patientCount must be an integer 0..${MAX_PATIENTS}, got ${String(patientCount)}`,
    );
  }
  if (!Number.isInteger(doctorCount) || doctorCount < 1 || doctorCount > 50) {
    throw new Error(`createSyntheticDataset: doctorCount must be an integer 1..50, got ${String(doctorCount)}`);
  }
  if (!Number.isFinite(epochMs))
    throw new Error(`createSyntheticDataset: epochMs must be a finite number, got ${String(epochMs)}`);
  const epochDayMs = Math.floor(epochMs / DAY_MS) * DAY_MS;
  const epochTimestamp = formatTimestamp(epochMs);
  const clampToEpoch = (ms: number): number => (ms > epochMs ? epochMs : ms);

  const doctorIndexOf = (patientIndex: number): number => ownerDoctorIndex(seed, patientIndex, doctorCount);
  const childCount = (resource: ChildResource, patientIndex: number): number =>
    CHILD_COUNT[resource](hash32(seed, STREAM.counts, patientIndex, 2 + STREAM[resource]));

  /** Core appointment facts, shared by appointments and clinical notes, without building the record. */
  const appointmentCore = (slot: number) => {
    const per = SLOTS_PER_PATIENT.appointments;
    const patientIndex = Math.floor(slot / per);
    const k = slot % per;
    const h1 = hash32(seed, STREAM.appointments, slot, 1);
    const h2 = hash32(seed, STREAM.appointments, slot, 2);
    const dayOffset = (h1 % 425) - 60; // 60 days ahead .. 364 days back
    const scheduledMs = epochDayMs - dayOffset * DAY_MS + (9 + (h2 % 8)) * HOUR_MS + ((h2 >>> 8) % 2) * 30 * 60_000;
    const past = scheduledMs < epochMs;
    const status = past
      ? PAST_STATUSES[(h2 >>> 12) % PAST_STATUSES.length]!
      : FUTURE_STATUSES[(h2 >>> 12) % FUTURE_STATUSES.length]!;
    return { patientIndex, k, scheduledMs, past, status, h1, h2 };
  };

  const appointmentId = (slot: number, scheduledMs: number): string => {
    // DrChrono documents appointment ids as strings that are "not always" numeric (recurring instances).
    // Slot 3 of a patient is rendered like a recurring instance id.
    const numeric = ID_BASE.appointments + slot;
    return slot % SLOTS_PER_PATIENT.appointments === 3
      ? `${numeric}_${formatDate(scheduledMs).replaceAll('-', '')}`
      : String(numeric);
  };

  const doctor = (index: number): DrChronoRecord => {
    const r = new RecordRandom(seed, STREAM.doctor, index);
    const first = r.pick(FIRST_NAMES);
    const last = `Testdoctor-${r.pick(SURNAME_STEMS)}`;
    return {
      id: ID_BASE.doctors + index,
      first_name: first,
      last_name: last,
      suffix: r.chance(0.5) ? 'MD' : 'PMHNP',
      email: `doctor${index}@example.invalid`,
      specialty: DOCTOR_SPECIALTIES[index % DOCTOR_SPECIALTIES.length],
      job_title: 'Provider',
      npi_number: `99${r.digits(8)}`,
      group_npi_number: '9900000001',
      practice_group: 1,
      practice_group_name: 'Feel August Test Practice',
      office_phone: fakePhone(r),
      cell_phone: fakePhone(r),
      home_phone: '',
      country: 'US',
      timezone: 'America/New_York',
      website: '',
      profile_picture: null,
      is_account_suspended: false,
    };
  };

  const insurance = (
    r: RecordRandom,
    patientFirst: string,
    patientLast: string,
    dob: string,
    gender: string,
  ): DrChronoRecord => {
    const payer = r.pick(PAYERS);
    const self = r.chance(0.8);
    const loc = r.pick(CITIES);
    return {
      ...emptyInsurance(),
      ...payer,
      insurance_id_number: `TST${r.digits(9)}`,
      insurance_group_number: `GRP${r.digits(5)}`,
      insurance_group_name: 'Test Employer Group',
      insurance_claim_office_number: `(800) 555-01${String(r.int(100)).padStart(2, '0')}`,
      is_subscriber_the_patient: self,
      patient_relationship_to_subscriber: self ? '18' : '01',
      subscriber_first_name: self ? patientFirst : r.pick(FIRST_NAMES),
      subscriber_last_name: patientLast,
      subscriber_date_of_birth: self ? dob : `19${r.range(50, 85)}-0${r.range(1, 9)}-1${r.range(0, 9)}`,
      subscriber_gender: self ? gender : r.pick(['Male', 'Female']),
      subscriber_address: `${r.range(1, 999)} ${r.pick(STREETS)}`,
      subscriber_city: loc.city,
      subscriber_state: loc.state,
      subscriber_zip_code: loc.zip,
      subscriber_country: 'US',
    };
  };

  const patient = (index: number): DrChronoRecord => {
    const r = new RecordRandom(seed, STREAM.patient, index);
    const id = ID_BASE.patients + index;
    const first = r.pick(FIRST_NAMES);
    const middle = r.pick(MIDDLE_NAMES);
    const last = `Testperson-${r.pick(SURNAME_STEMS)}`;
    const gender = r.pick(['Male', 'Female', 'Other'] as const);
    const dobMs = Date.UTC(1940 + r.int(66), r.int(12), 1 + r.int(28));
    const dob = formatDate(dobMs);
    const loc = r.pick(CITIES);
    const createdMs = epochMs - (400 + r.int(2000)) * DAY_MS - r.int(86_400) * 1000;
    const updatedMs = clampToEpoch(epochMs - r.int(365) * DAY_MS - r.int(86_400) * 1000);
    const hasSecondary = r.chance(0.3);
    const hasTertiary = hasSecondary && r.chance(0.2);
    const doctorIndex = index < patientCount ? doctorIndexOf(index) : r.int(doctorCount);
    return {
      id,
      chart_id: `TEST${String(id).padStart(8, '0')}`,
      first_name: first,
      middle_name: middle,
      last_name: last,
      nick_name: '',
      suffix: '',
      date_of_birth: dob,
      gender,
      sexual_orientation: 'blank',
      gender_identity: 'blank',
      race: 'blank',
      ethnicity: 'blank',
      preferred_language: 'eng',
      email: `patient${id}@example.invalid`,
      home_phone: fakePhone(r),
      cell_phone: fakePhone(r),
      office_phone: '',
      address: `${r.range(1, 9999)} ${r.pick(STREETS)}`,
      city: loc.city,
      state: loc.state,
      zip_code: loc.zip,
      doctor: ID_BASE.doctors + doctorIndex,
      copay: `${r.pick([0, 20, 25, 30, 40])}.00`,
      patient_status: r.chance(0.9) ? 'A' : 'I',
      patient_payment_profile: 'Insurance',
      default_pharmacy: '',
      emergency_contact_name: `Testcontact-${r.pick(SURNAME_STEMS)}`,
      emergency_contact_phone: fakePhone(r),
      emergency_contact_relation: 'Friend',
      employer: '',
      referring_source: '',
      primary_care_physician: '',
      social_security_number: '',
      disable_sms_messages: false,
      date_of_first_appointment: formatDate(createdMs + 7 * DAY_MS),
      date_of_last_appointment: formatDate(updatedMs),
      patient_photo: null,
      patient_flags_attached: [],
      primary_insurance: insurance(r, first, last, dob, gender),
      secondary_insurance: hasSecondary ? insurance(r, first, last, dob, gender) : emptyInsurance(),
      tertiary_insurance: hasTertiary ? insurance(r, first, last, dob, gender) : emptyInsurance(),
      // verbose-only fields (stripped by the API unless verbose=true)
      custom_demographics: [],
      patient_flags: [],
      referring_doctor: null,
      created_at: formatTimestamp(createdMs),
      updated_at: formatTimestamp(updatedMs),
    };
  };

  const childPresent = (resource: ChildResource, slot: number): boolean => {
    const per = SLOTS_PER_PATIENT[resource];
    const patientIndex = Math.floor(slot / per);
    if (resource === 'clinical_notes') {
      if (!childPresent('appointments', slot)) return false;
      const core = appointmentCore(slot);
      return core.past && core.status === 'Complete';
    }
    return slot % per < childCount(resource, patientIndex);
  };

  const noteText = (slot: number, patientId: number, phrase: number): string =>
    `Synthetic note ${ID_BASE.clinical_notes + slot} for test patient ${patientId}: ${NOTE_PHRASES[phrase % NOTE_PHRASES.length]}.`;

  /** An appointment; a completed past one carries its clinical note's summary (verbose field). */
  const appointmentRecord = ({ slot, patientId, doctorId, r }: ChildContext): DrChronoRecord => {
    const core = appointmentCore(slot);
    const createdMs = core.scheduledMs - (3 + (core.h1 % 40)) * DAY_MS;
    // The claim's status fields change as it moves; its last change is the appointment's latest update too.
    const claim = billing.claim(slot);
    const visitUpdatedMs = core.past ? core.scheduledMs + (1 + (core.h2 % 5)) * HOUR_MS : createdMs + DAY_MS;
    const claimUpdatedMs = claim ? core.scheduledMs + claim.lastChangeDay * DAY_MS + 2 * HOUR_MS : 0;
    const updatedMs = clampToEpoch(Math.max(visitUpdatedMs, claimUpdatedMs));
    const billed = core.past && core.status === 'Complete';
    const note = billed ? child('clinical_notes', slot) : null;
    // Billing statuses used to be drawn at random; the draws stay so every later field keeps its value.
    const retiredDraw = <T>(value: T): T => {
      if (billed) r.next();
      return value;
    };
    return {
      id: appointmentId(slot, core.scheduledMs),
      doctor: doctorId,
      patient: patientId,
      office: ID_BASE.offices + ((doctorId - ID_BASE.doctors) % 2),
      exam_room: 1 + r.int(3),
      scheduled_time: formatTimestamp(core.scheduledMs),
      duration: r.pick([30, 45, 60]),
      status: core.status,
      reason: r.pick(APPOINTMENT_REASONS),
      notes: '',
      billing_status: retiredDraw(claim?.appointmentBillingStatus ?? ''),
      ins1_status: retiredDraw(claim?.ins1Status ?? ''),
      ins2_status: claim?.ins2Status ?? '',
      billing_notes: [],
      billing_provider: doctorId,
      supervising_provider: null,
      profile: null,
      color: '',
      is_walk_in: false,
      is_virtual_base: false,
      allow_overlapping: false,
      recurring_appointment: core.k === 3,
      base_recurring_appointment: core.k === 3 ? String(ID_BASE.appointments + slot) : null,
      icd9_codes: [],
      icd10_codes: billed ? [r.pick(PROBLEMS).icd_code] : [],
      cloned_from: null,
      deleted_flag: false,
      first_billed_date: claim ? formatTimestamp(clampToEpoch(core.scheduledMs + DAY_MS)) : null,
      last_billed_date: claim ? formatTimestamp(clampToEpoch(core.scheduledMs + DAY_MS)) : null,
      primary_insurer_payer_id: '',
      primary_insurer_name: '',
      created_at: formatTimestamp(createdMs),
      updated_at: formatTimestamp(updatedMs),
      // verbose-only fields; `clinical_note` is recomputed by the API from the live note record
      clinical_note: note ? { locked: note['locked'], pdf: null, updated_at: note['updated_at'] } : null,
      vitals: {
        blood_pressure_1: null,
        blood_pressure_2: null,
        temperature: null,
        pulse: null,
        weight: null,
        height: null,
      },
      custom_vitals: [],
      reminders: [],
      status_transitions: [],
      extended_updated_at: formatTimestamp(updatedMs),
    };
  };

  /** The clinical note of a completed past appointment in the same slot. */
  const clinicalNoteRecord = ({ slot, patientId, doctorId, r }: ChildContext): DrChronoRecord => {
    const core = appointmentCore(slot);
    const locked = r.chance(0.85);
    const updatedMs = clampToEpoch(core.scheduledMs + (2 + r.int(70)) * HOUR_MS);
    return {
      id: ID_BASE.clinical_notes + slot,
      appointment: appointmentId(slot, core.scheduledMs),
      patient: patientId,
      doctor: doctorId,
      archived: false,
      locked,
      signee: locked ? { locked_by: doctorId, locked_at: formatTimestamp(updatedMs) } : null,
      pdf: null,
      clinical_note_sections: [
        {
          clinical_note_template: 700,
          name: 'Psychiatric Progress Note',
          values: [
            { clinical_note_field: 7001, value: noteText(slot, patientId, r.next()) },
            { clinical_note_field: 7002, value: noteText(slot, patientId, r.next()) },
          ],
        },
        {
          clinical_note_template: 700,
          name: 'Assessment and Plan',
          values: [
            { clinical_note_field: 7003, value: `Continue current plan; follow up in ${r.pick([2, 4, 6])} weeks.` },
          ],
        },
      ],
      created_at: formatTimestamp(core.scheduledMs),
      updated_at: formatTimestamp(updatedMs),
    };
  };

  /** A prescribed medication, a quarter of them stopped. */
  const medicationRecord = ({ slot, patientId, doctorId, r }: ChildContext): DrChronoRecord => {
    const med = r.pick(MEDICATIONS);
    const startedMs = epochMs - (30 + r.int(700)) * DAY_MS;
    const stopped = r.chance(0.25);
    return {
      id: ID_BASE.medications + slot,
      patient: patientId,
      doctor: doctorId,
      appointment: null,
      ...med,
      route: 'oral',
      status: stopped ? 'inactive' : 'active',
      date_prescribed: formatDate(startedMs),
      date_started_taking: formatDate(startedMs),
      date_stopped_taking: stopped ? formatDate(startedMs + (20 + r.int(200)) * DAY_MS) : null,
      dispense_quantity: `${r.pick([30, 60, 90])}.00`,
      number_refills: r.int(6),
      prn: false,
      daw: false,
      order_status: 'Prescribed',
      indication: '',
      signature_note: '',
      pharmacy_note: '',
      notes: '',
      updated_at: formatTimestamp(clampToEpoch(startedMs + r.int(30) * DAY_MS)),
    };
  };

  /** A diagnosis on the problem list. */
  const problemRecord = ({ slot, patientId, doctorId, r }: ChildContext): DrChronoRecord => {
    const problem = r.pick(PROBLEMS);
    const diagnosedMs = epochMs - (30 + r.int(1500)) * DAY_MS;
    const status = r.pick(['active', 'active', 'active', 'inactive', 'resolved'] as const);
    return {
      id: ID_BASE.problems + slot,
      patient: patientId,
      doctor: doctorId,
      appointment: null,
      name: problem.name,
      description: problem.name,
      icd_code: problem.icd_code,
      icd_version: '10',
      snomed_ct_code: problem.snomed_ct_code,
      status,
      category: 'Diagnosis',
      date_diagnosis: formatDate(diagnosedMs),
      date_onset: formatDate(diagnosedMs - r.int(200) * DAY_MS),
      date_changed: formatDate(diagnosedMs + r.int(25) * DAY_MS),
      info_url: '',
      notes: '',
      updated_at: formatTimestamp(clampToEpoch(diagnosedMs + r.int(25) * DAY_MS)),
    };
  };

  /** A confirmed allergy. */
  const allergyRecord = ({ slot, patientId, doctorId, r }: ChildContext): DrChronoRecord => {
    const allergy = r.pick(ALLERGIES);
    return {
      id: ID_BASE.allergies + slot,
      patient: patientId,
      doctor: doctorId,
      ...allergy,
      status: r.chance(0.9) ? 'active' : 'inactive',
      verification_status: 'confirmed',
      notes: '',
      updated_at: formatTimestamp(clampToEpoch(epochMs - r.int(900) * DAY_MS)),
    };
  };

  /** One generator per child resource; each draws from the slot's own random stream. */
  const generators: Record<ChildResource, (ctx: ChildContext) => DrChronoRecord> = {
    appointments: appointmentRecord,
    clinical_notes: clinicalNoteRecord,
    medications: medicationRecord,
    problems: problemRecord,
    allergies: allergyRecord,
  };

  const child = (resource: ChildResource, slot: number, force = false): DrChronoRecord | null => {
    if (!force && !childPresent(resource, slot)) return null;
    const per = SLOTS_PER_PATIENT[resource];
    const patientIndex = Math.floor(slot / per);
    const patientId = ID_BASE.patients + patientIndex;
    const doctorId = ID_BASE.doctors + (patientIndex < patientCount ? doctorIndexOf(patientIndex) : 0);
    return generators[resource]({ slot, patientId, doctorId, r: new RecordRandom(seed, STREAM[resource], slot) });
  };

  const billing: SyntheticBilling = createSyntheticBilling(
    {
      seed,
      epochMs,
      appointmentPresent: (slot) => childPresent('appointments', slot),
      appointmentCore,
      appointmentId,
      patient,
      doctorId: (patientIndex) => ID_BASE.doctors + (patientIndex < patientCount ? doctorIndexOf(patientIndex) : 0),
    },
    { timestamp: formatTimestamp, date: formatDate },
  );

  return {
    seed,
    patientCount,
    doctorCount,
    epochMs,
    epochTimestamp,
    slotCount: (resource) =>
      resource === 'patients'
        ? patientCount
        : resource === 'doctors'
          ? doctorCount
          : resource in BILLING_SLOTS_PER_PATIENT
            ? patientCount * BILLING_SLOTS_PER_PATIENT[resource as BillingSlotResource]
            : patientCount * SLOTS_PER_PATIENT[resource as ChildResource],
    doctor,
    patient,
    child,
    childPresent,
    billing,
  };
}

/**
 * Every PHI-like value of one synthetic patient as plain strings: names, birth date, phones, email, street address,
 * insurance member ids, clinical-note text, lab order/test notes and result comments. Tests scan captured logs, error
 * bodies and access_log rows for these.
 */
export function syntheticPhiValues(dataset: SyntheticDataset, patientIndex: number): string[] {
  const p = dataset.patient(patientIndex);
  const values = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value === 'string' && value.trim().length >= 3) values.add(value);
  };
  for (const key of [
    'first_name',
    'last_name',
    'date_of_birth',
    'email',
    'home_phone',
    'cell_phone',
    'address',
    'emergency_contact_name',
    'emergency_contact_phone',
  ]) {
    add(p[key]);
  }
  add(`${String(p['first_name'])} ${String(p['last_name'])}`);
  for (const key of ['primary_insurance', 'secondary_insurance', 'tertiary_insurance']) {
    const ins = p[key] as DrChronoRecord;
    add(ins['insurance_id_number']);
  }
  const per = SLOTS_PER_PATIENT.clinical_notes;
  for (let slot = patientIndex * per; slot < (patientIndex + 1) * per; slot += 1) {
    const note = dataset.child('clinical_notes', slot);
    if (!note) continue;
    for (const section of note['clinical_note_sections'] as Array<{ values: Array<{ value: string }> }>) {
      for (const v of section.values) add(v.value);
    }
  }
  // Billing: payment notes and card/check references, remittance traces and the member id on transactions.
  const billingSlots = (resource: BillingSlotResource): number[] => {
    const n = BILLING_SLOTS_PER_PATIENT[resource];
    return Array.from({ length: n }, (_, k) => patientIndex * n + k);
  };
  for (const slot of billingSlots('patient_payments')) {
    const payment = dataset.billing.record('patient_payments', slot);
    add(payment?.['notes']);
    add(payment?.['trace_number']);
  }
  for (const slot of billingSlots('transactions')) {
    const tx = dataset.billing.record('transactions', slot);
    add(tx?.['trace_number']);
    add((tx?.['insurance'] as DrChronoRecord | undefined)?.['id_number']);
  }
  for (const text of syntheticLabPhiValues(dataset, patientIndex)) add(text);
  return [...values];
}
