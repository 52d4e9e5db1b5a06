import * as schema from '../schema/index.js';
import { mirrorSpec, type MirrorSpec } from './upsert.js';

/** Upsert specs of every DrChrono mirror table, built once. */
export const mirrors = {
  providers: mirrorSpec(schema.providers),
  patients: mirrorSpec(schema.patients),
  insurance_records: mirrorSpec(schema.insuranceRecords),
  appointments: mirrorSpec(schema.appointments),
  clinical_notes: mirrorSpec(schema.clinicalNotes),
  medications: mirrorSpec(schema.medications),
  problems: mirrorSpec(schema.problems),
  allergies: mirrorSpec(schema.allergies),
} as const satisfies Record<string, MirrorSpec>;

export type MirrorTable = keyof typeof mirrors;
