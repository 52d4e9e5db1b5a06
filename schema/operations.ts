import { sql } from 'drizzle-orm';
import { bigint, check, date, index, integer, jsonb, pgTable, smallint, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { auditedColumns, oneOf, timestamptz } from './columns.js';
import { appointments, insuranceRecords, patients } from './drchrono.js';

// Tables the practice's staff work in (through Coda); the platform owns these rows, DrChrono does not.

export const intakeStatuses = ['pending', 'in_progress', 'complete', 'waived'] as const;

export const intakeChecklists = pgTable(
  'intake_checklists',
  {
    ...auditedColumns(),
    patientDrchronoId: text('patient')
      .notNull()
      .references(() => patients.drchronoId),
    appointmentDrchronoId: text('appointment').references(() => appointments.drchronoId),
    status: text('status').notNull().default('pending'),
    /** `[{ "item": "insurance_card", "done": true }]` */
    items: jsonb('items').notNull().default([]),
    assignedTo: text('assigned_to'),
    dueAt: timestamptz('due_at'),
    completedAt: timestamptz('completed_at'),
  },
  (t) => [
    index('intake_checklists_patient_idx').on(t.patientDrchronoId),
    check('intake_checklists_status_check', oneOf('status', intakeStatuses)),
  ],
);

export const taskTypes = [
  'note_signoff',
  'billing_review',
  'follow_up_scheduling',
  'lab_order',
  'prior_auth',
  'other',
] as const;
export const taskStatuses = ['open', 'in_progress', 'done', 'cancelled'] as const;

export const postAppointmentTasks = pgTable(
  'post_appointment_tasks',
  {
    ...auditedColumns(),
    appointmentDrchronoId: text('appointment')
      .notNull()
      .references(() => appointments.drchronoId),
    patientDrchronoId: text('patient').references(() => patients.drchronoId),
    taskType: text('task_type').notNull(),
    status: text('status').notNull().default('open'),
    assignedTo: text('assigned_to'),
    dueAt: timestamptz('due_at'),
    completedAt: timestamptz('completed_at'),
    notes: text('notes'),
  },
  (t) => [
    index('post_appointment_tasks_appointment_idx').on(t.appointmentDrchronoId),
    index('post_appointment_tasks_open_idx').on(t.status, t.dueAt),
    check('post_appointment_tasks_type_check', oneOf('task_type', taskTypes)),
    check('post_appointment_tasks_status_check', oneOf('status', taskStatuses)),
  ],
);

export const priorAuthStatuses = ['draft', 'submitted', 'approved', 'denied', 'expired', 'cancelled'] as const;

export const priorAuthorizations = pgTable(
  'prior_authorizations',
  {
    ...auditedColumns(),
    patientDrchronoId: text('patient')
      .notNull()
      .references(() => patients.drchronoId),
    insuranceRecordId: bigint('insurance_record_id', { mode: 'number' }).references(() => insuranceRecords.id),
    serviceDescription: text('service_description').notNull(),
    cptCode: text('cpt_code'),
    icdCode: text('icd_code'),
    payer: text('payer'),
    authNumber: text('auth_number'),
    status: text('status').notNull().default('draft'),
    unitsApproved: integer('units_approved'),
    startDate: date('start_date'),
    endDate: date('end_date'),
    submittedAt: timestamptz('submitted_at'),
    decidedAt: timestamptz('decided_at'),
  },
  (t) => [
    index('prior_authorizations_patient_idx').on(t.patientDrchronoId),
    check('prior_authorizations_status_check', oneOf('status', priorAuthStatuses)),
    check('prior_authorizations_dates_check', sql`end_date IS NULL OR start_date IS NULL OR end_date >= start_date`),
    check('prior_authorizations_units_check', sql`units_approved IS NULL OR units_approved >= 0`),
  ],
);

/**
 * Score ranges per instrument: PHQ-9 0–27 (9 items × 0–3), GAD-7 0–21 (7 × 0–3), ASRS v1.1 0–72 (18 × 0–4),
 * Y-BOCS 0–40 (10 × 0–4).
 */
export const instrumentScoreRanges = {
  'PHQ-9': [0, 27],
  'GAD-7': [0, 21],
  ASRS: [0, 72],
  'Y-BOCS': [0, 40],
} as const satisfies Record<string, readonly [number, number]>;
export type Instrument = keyof typeof instrumentScoreRanges;

const scoreRangeCheck = Object.entries(instrumentScoreRanges)
  .map(([instrument, [min, max]]) => `(instrument = '${instrument}' AND total_score BETWEEN ${min} AND ${max})`)
  .join(' OR ');

export const questionnaireResponses = pgTable(
  'questionnaire_responses',
  {
    ...auditedColumns(),
    patientDrchronoId: text('patient')
      .notNull()
      .references(() => patients.drchronoId),
    appointmentDrchronoId: text('appointment').references(() => appointments.drchronoId),
    instrument: text('instrument').notNull(),
    totalScore: smallint('total_score').notNull(),
    /** Item scores in instrument order, e.g. `[0, 1, 3, …]`. */
    answers: jsonb('answers').notNull().default([]),
    administeredAt: timestamptz('administered_at').notNull().defaultNow(),
  },
  (t) => [
    index('questionnaire_responses_patient_idx').on(t.patientDrchronoId, t.instrument, t.administeredAt),
    check('questionnaire_responses_instrument_check', oneOf('instrument', Object.keys(instrumentScoreRanges))),
    check('questionnaire_responses_score_check', sql.raw(scoreRangeCheck)),
  ],
);

export const consentTypes = [
  'treatment',
  'telehealth',
  'hipaa_notice',
  'release_of_information',
  'financial_policy',
  'sms',
] as const;

/** Versioned consents: a new version of a form is a new row; revoking sets `status` and `revoked_at`. */
export const consentRecords = pgTable(
  'consent_records',
  {
    ...auditedColumns(),
    patientDrchronoId: text('patient')
      .notNull()
      .references(() => patients.drchronoId),
    consentType: text('consent_type').notNull(),
    version: text('version').notNull(),
    status: text('status').notNull().default('granted'),
    signedAt: timestamptz('signed_at').notNull(),
    revokedAt: timestamptz('revoked_at'),
    documentRef: text('document_ref'),
  },
  (t) => [
    uniqueIndex('consent_records_patient_type_version_idx').on(t.patientDrchronoId, t.consentType, t.version),
    check('consent_records_type_check', oneOf('consent_type', consentTypes)),
    check('consent_records_status_check', oneOf('status', ['granted', 'revoked'])),
    check('consent_records_revoked_check', sql`(status = 'revoked') = (revoked_at IS NOT NULL)`),
  ],
);

export const staffRoleNames = ['admin', 'clinician', 'front_desk', 'billing', 'viewer'] as const;

/** RBAC for staff reaching operational endpoints through IAP; a grant is active while `revoked_at` is null. */
export const staffRoles = pgTable(
  'staff_roles',
  {
    ...auditedColumns(),
    email: text('email').notNull(),
    role: text('role').notNull(),
    grantedBy: text('granted_by').notNull(),
    grantedAt: timestamptz('granted_at').notNull().defaultNow(),
    revokedAt: timestamptz('revoked_at'),
  },
  (t) => [
    uniqueIndex('staff_roles_active_idx')
      .on(t.email, t.role)
      .where(sql`revoked_at IS NULL`),
    check('staff_roles_role_check', oneOf('role', staffRoleNames)),
    check('staff_roles_email_check', sql`email = lower(email) AND position('@' in email) > 1`),
  ],
);
