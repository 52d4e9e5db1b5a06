import { date, index, jsonb, pgTable, text, check } from 'drizzle-orm/pg-core';
import { auditedColumns, oneOf, timestamptz } from './columns.js';
import { appointments, clinicalNotes, patients } from './drchrono.js';

export const riskLevels = ['none', 'low', 'moderate', 'high', 'imminent'] as const;
export const linkStatuses = ['linked_appointment', 'linked_patient_date', 'unlinked'] as const;

/**
 * Deep Cura scribe notes received by Gridhook. `source_*` hold the ids exactly as Deep Cura sent them; the link
 * columns are set only once the referenced DrChrono rows exist here (by appointment, else by patient + visit date).
 */
export const deepcuraNotes = pgTable(
  'deepcura_notes',
  {
    ...auditedColumns(),
    deepcuraNoteId: text('deepcura_note_id').notNull().unique(),
    sourceAppointmentId: text('source_appointment_id'),
    sourcePatientId: text('source_patient_id'),
    visitDate: date('visit_date'),
    transcript: text('transcript'),
    soapSubjective: text('soap_subjective'),
    soapObjective: text('soap_objective'),
    soapAssessment: text('soap_assessment'),
    soapPlan: text('soap_plan'),
    icd10Suggestions: jsonb('icd10_suggestions').notNull().default([]),
    cptSuggestions: jsonb('cpt_suggestions').notNull().default([]),
    medicationMentions: jsonb('medication_mentions').notNull().default([]),
    riskLevel: text('risk_level'),
    riskFactors: jsonb('risk_factors').notNull().default([]),
    raw: jsonb('raw').notNull(),
    sourceCreatedAt: timestamptz('source_created_at'),
    appointmentDrchronoId: text('appointment').references(() => appointments.drchronoId),
    patientDrchronoId: text('patient').references(() => patients.drchronoId),
    clinicalNoteDrchronoId: text('clinical_note').references(() => clinicalNotes.drchronoId),
    linkStatus: text('link_status').notNull().default('unlinked'),
    linkedAt: timestamptz('linked_at'),
    deletedAt: timestamptz('deleted_at'),
  },
  (t) => [
    index('deepcura_notes_source_appointment_idx').on(t.sourceAppointmentId),
    index('deepcura_notes_source_patient_visit_idx').on(t.sourcePatientId, t.visitDate),
    index('deepcura_notes_link_status_idx').on(t.linkStatus),
    check('deepcura_notes_risk_level_check', oneOf('risk_level', riskLevels)),
    check('deepcura_notes_link_status_check', oneOf('link_status', linkStatuses)),
  ],
);
