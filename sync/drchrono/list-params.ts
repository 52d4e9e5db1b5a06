// What each DrChrono list call asks for: the page size and whether it needs `verbose=true`. DrChrono's facts (page caps,
// verbose-only fields) are declared here once; the sandbox (sandbox/drchrono/app.ts) serves by the same numbers.
// Sources, field by field: sandbox/drchrono/README.md ("Checked against DrChrono's OpenAPI schema").
import type { DrChronoResource } from './types.js';

export interface PageCaps {
  /** Largest `page_size` DrChrono honours without `verbose`. */
  readonly max: number;
  /** Largest `page_size` DrChrono honours with `verbose=true`. */
  readonly verboseMax: number;
}

/**
 * DrChrono's page caps. `/api/appointments`: the schema's `page_size` maximum is 250 and its `verbose` parameter says
 * "limit page_size to 25". The other GET lists document no maximum; DrChrono's support pages give 250 as the API's
 * page limit, and verbose lists were capped at 50 on a third-party account (DESIGN §7.1).
 */
export const drchronoPageCaps: Readonly<Record<DrChronoResource, PageCaps>> = {
  doctors: { max: 250, verboseMax: 50 },
  patients: { max: 250, verboseMax: 50 },
  appointments: { max: 250, verboseMax: 25 },
  clinical_notes: { max: 250, verboseMax: 50 },
  medications: { max: 250, verboseMax: 50 },
  problems: { max: 250, verboseMax: 50 },
  allergies: { max: 250, verboseMax: 50 },
};

/**
 * Page size when a request sends no `page_size`. DrChrono does not document it (the schema is silent); the sandbox
 * serves this small page so a client that forgets `page_size` pays for it, as it would against DrChrono.
 */
export const drchronoDefaultPageSize = 25;

/**
 * Fields DrChrono serialises only with `verbose=true` (`x-verbose-required` in its OpenAPI schema), for the
 * resources we read.
 */
export const drchronoVerboseOnlyFields: Readonly<Record<DrChronoResource, readonly string[]>> = {
  doctors: [],
  patients: [
    'auto_accident_insurance', 'custom_demographics', 'patient_flags', 'patient_flags_attached', 'primary_insurance',
    'referring_doctor', 'secondary_insurance', 'tertiary_insurance', 'workers_comp_insurance',
  ],
  appointments: ['reminders', 'vitals', 'custom_fields', 'custom_vitals', 'clinical_note', 'extended_updated_at', 'status_transitions'],
  clinical_notes: [],
  medications: [],
  problems: [],
  allergies: ['description'],
};

/**
 * Whether the sync asks for verbose objects: only where a mapped field is verbose-only, because verbose lowers the
 * page cap (5x the calls for patients and allergies; 10x for appointments).
 * - patients: `primary_insurance`, `secondary_insurance`, `tertiary_insurance` feed insurance_records.
 * - allergies: `description` is the allergy itself.
 * - appointments: not verbose. Only `clinical_note.locked` would need it, at 25 instead of 250 per page; the lock is
 *   read from `/api/clinical_notes` (`signee.locked_by`) instead.
 */
export const syncVerbose: Readonly<Record<DrChronoResource, boolean>> = {
  doctors: false,
  patients: true,
  appointments: false,
  clinical_notes: false,
  medications: false,
  problems: false,
  allergies: true,
};

/** The largest page this resource allows with the sync's verbose choice. */
export function syncPageSize(resource: DrChronoResource): number {
  const caps = drchronoPageCaps[resource];
  return syncVerbose[resource] ? caps.verboseMax : caps.max;
}

/** `page_size` (and `verbose=true` where needed) for a list call, merged under the caller's filters. */
export function listQuery(resource: DrChronoResource, filters: Record<string, string> = {}): Record<string, string> {
  const query: Record<string, string> = { page_size: String(syncPageSize(resource)) };
  if (syncVerbose[resource]) query['verbose'] = 'true';
  return Object.assign(query, filters);
}
