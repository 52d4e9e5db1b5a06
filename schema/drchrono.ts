import { sql } from 'drizzle-orm';
import { boolean, check, date, index, integer, pgTable, smallint, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { mirrorColumns, oneOf, timestamptz } from './columns.js';

// Mirrors of DrChrono API v4 resources. Column names follow DrChrono's field names; links between records are
// foreign keys on DrChrono ids, because that is what DrChrono's payloads carry.
//
// CHECK constraints cover enumerations DrChrono documents as closed (patient_status, icd_version, coverage rank).
// Appointment, medication, problem and allergy statuses are practice-configurable in DrChrono, so a CHECK there
// would make a whole sync page fail on the first new status; they stay free text and are reported by value.

/** DrChrono's `patient_status` values: active, inactive, deceased. */
export const patientStatuses = ['A', 'I', 'D'] as const;

/** Coverage ranks of a patient's embedded insurance objects (`primary_insurance`, …). */
export const insuranceRanks = ['primary', 'secondary', 'tertiary'] as const;

/** `/api/doctors`. */
export const providers = pgTable('providers', {
  ...mirrorColumns(),
  firstName: text('first_name'),
  lastName: text('last_name'),
  suffix: text('suffix'),
  npiNumber: text('npi_number'),
  specialty: text('specialty'),
  email: text('email'),
  officePhone: text('office_phone'),
  practiceGroup: text('practice_group'),
  isAccountSuspended: boolean('is_account_suspended'),
});

/** `/api/patients`. */
export const patients = pgTable(
  'patients',
  {
    ...mirrorColumns(),
    chartId: text('chart_id'),
    firstName: text('first_name'),
    middleName: text('middle_name'),
    lastName: text('last_name'),
    nickName: text('nick_name'),
    dateOfBirth: date('date_of_birth'),
    gender: text('gender'),
    email: text('email'),
    cellPhone: text('cell_phone'),
    homePhone: text('home_phone'),
    address: text('address'),
    city: text('city'),
    state: text('state'),
    zipCode: text('zip_code'),
    preferredLanguage: text('preferred_language'),
    patientStatus: text('patient_status'),
    doctorDrchronoId: text('doctor').references(() => providers.drchronoId),
    dateOfFirstAppointment: date('date_of_first_appointment'),
    dateOfLastAppointment: date('date_of_last_appointment'),
  },
  (t) => [
    index('patients_doctor_idx').on(t.doctorDrchronoId),
    index('patients_source_updated_at_idx').on(t.sourceUpdatedAt),
    check('patients_status_check', oneOf('patient_status', patientStatuses)),
  ],
);

/** One row per patient × coverage rank, derived from the patient's embedded insurance objects. */
export const insuranceRecords = pgTable(
  'insurance_records',
  {
    ...mirrorColumns(),
    patientDrchronoId: text('patient')
      .notNull()
      .references(() => patients.drchronoId),
    rank: text('rank').notNull(),
    insuranceCompany: text('insurance_company'),
    payerId: text('insurance_payer_id'),
    planType: text('insurance_plan_type'),
    idNumber: text('insurance_id_number'),
    groupNumber: text('insurance_group_number'),
    groupName: text('insurance_group_name'),
    subscriberRelation: text('patient_relationship_to_subscriber'),
    subscriberFirstName: text('subscriber_first_name'),
    subscriberLastName: text('subscriber_last_name'),
    subscriberDateOfBirth: date('subscriber_date_of_birth'),
  },
  (t) => [
    uniqueIndex('insurance_records_patient_rank_idx').on(t.patientDrchronoId, t.rank),
    check('insurance_records_rank_check', oneOf('rank', insuranceRanks)),
  ],
);

/** `/api/appointments`. */
export const appointments = pgTable(
  'appointments',
  {
    ...mirrorColumns(),
    patientDrchronoId: text('patient').references(() => patients.drchronoId),
    doctorDrchronoId: text('doctor').references(() => providers.drchronoId),
    office: text('office'),
    examRoom: integer('exam_room'),
    scheduledTime: timestamptz('scheduled_time'),
    durationMinutes: integer('duration'),
    status: text('status'),
    billingStatus: text('billing_status'),
    ins1Status: text('ins1_status'),
    ins2Status: text('ins2_status'),
    reason: text('reason'),
    isTelehealth: boolean('is_telehealth'),
    deletedFlag: boolean('deleted_flag').notNull().default(false),
    clinicalNoteLocked: boolean('clinical_note_locked'),
  },
  (t) => [
    index('appointments_patient_idx').on(t.patientDrchronoId),
    index('appointments_doctor_idx').on(t.doctorDrchronoId),
    index('appointments_scheduled_time_idx').on(t.scheduledTime),
    index('appointments_source_updated_at_idx').on(t.sourceUpdatedAt),
  ],
);

/** `/api/clinical_notes`: stored when locked; `locked` turns false (and `unlocked_at` is set) on unlock. */
export const clinicalNotes = pgTable(
  'clinical_notes',
  {
    ...mirrorColumns(),
    appointmentDrchronoId: text('appointment').references(() => appointments.drchronoId),
    patientDrchronoId: text('patient').references(() => patients.drchronoId),
    doctorDrchronoId: text('doctor').references(() => providers.drchronoId),
    locked: boolean('locked').notNull().default(false),
    lockedBy: text('locked_by'),
    unlockedAt: timestamptz('unlocked_at'),
    sections: text('sections'),
  },
  (t) => [
    index('clinical_notes_appointment_idx').on(t.appointmentDrchronoId),
    index('clinical_notes_patient_idx').on(t.patientDrchronoId),
  ],
);

/** `/api/medications` (no `since`: refreshed per patient). */
export const medications = pgTable(
  'medications',
  {
    ...mirrorColumns(),
    patientDrchronoId: text('patient').references(() => patients.drchronoId),
    doctorDrchronoId: text('doctor').references(() => providers.drchronoId),
    name: text('name'),
    rxnorm: text('rxnorm'),
    ndc: text('ndc'),
    dosageQuantity: text('dosage_quantity'),
    dosageUnits: text('dosage_units'),
    frequency: text('frequency'),
    route: text('route'),
    status: text('status'),
    datePrescribed: date('date_prescribed'),
    dateStartedTaking: date('date_started_taking'),
    dateStoppedTaking: date('date_stopped_taking'),
  },
  (t) => [index('medications_patient_idx').on(t.patientDrchronoId)],
);

/** `/api/problems`. */
export const problems = pgTable(
  'problems',
  {
    ...mirrorColumns(),
    patientDrchronoId: text('patient').references(() => patients.drchronoId),
    doctorDrchronoId: text('doctor').references(() => providers.drchronoId),
    name: text('name'),
    icdCode: text('icd_code'),
    icdVersion: smallint('icd_version'),
    status: text('status'),
    dateDiagnosis: date('date_diagnosis'),
    dateOnset: date('date_onset'),
    dateChanged: date('date_changed'),
  },
  (t) => [
    index('problems_patient_idx').on(t.patientDrchronoId),
    check('problems_icd_version_check', sql`icd_version IN (9, 10)`),
  ],
);

/** `/api/allergies`. */
export const allergies = pgTable(
  'allergies',
  {
    ...mirrorColumns(),
    patientDrchronoId: text('patient').references(() => patients.drchronoId),
    doctorDrchronoId: text('doctor').references(() => providers.drchronoId),
    description: text('description'),
    reaction: text('reaction'),
    status: text('status'),
    snomedReaction: text('snomed_reaction'),
    notes: text('notes'),
  },
  (t) => [index('allergies_patient_idx').on(t.patientDrchronoId)],
);
