// What each DrChrono list call asks for: the page size and whether it needs `verbose=true`. DrChrono's facts (page caps,
// verbose-only fields) live in contract/drchrono-api.ts, which the sandbox (sandbox/drchrono/app.ts) serves by too.
// Sources, field by field: sandbox/drchrono/README.md ("Checked against DrChrono's OpenAPI schema").
import type { DrChronoEndpoint } from './types.js';

export { drchronoDefaultPageSize, drchronoPageCaps, drchronoVerboseOnlyFields } from '../../contract/drchrono-api.js';
export type { PageCaps } from '../../contract/drchrono-api.js';
import { drchronoPageCaps } from '../../contract/drchrono-api.js';

/**
 * Whether the sync asks for verbose objects: only where a mapped field is verbose-only, because verbose lowers the
 * page cap (5x the calls for patients and allergies; 10x for appointments).
 * - patients: `primary_insurance`, `secondary_insurance`, `tertiary_insurance` feed insurance_records.
 * - allergies: `description` is the allergy itself.
 * - appointments: not verbose. Only `clinical_note.locked` would need it, at 25 instead of 250 per page; the lock is
 *   read from `/api/clinical_notes` (`signee.locked_by`) instead.
 * - line items: not verbose; only `description` (the code's text) is verbose-only, and the code itself is mapped.
 * - lab orders, tests, results: no field is verbose-only.
 */
export const syncVerbose: Readonly<Record<DrChronoEndpoint, boolean>> = {
  doctors: false,
  patients: true,
  appointments: false,
  clinical_notes: false,
  medications: false,
  problems: false,
  allergies: true,
  line_items: false,
  transactions: false,
  patient_payments: false,
  line_item_deletions: false,
  patient_payment_log: false,
  lab_orders: false,
  lab_tests: false,
  lab_results: false,
};

/** The largest page this resource allows with the sync's verbose choice. */
export function syncPageSize(resource: DrChronoEndpoint): number {
  const caps = drchronoPageCaps[resource];
  return syncVerbose[resource] ? caps.verboseMax : caps.max;
}

/** `page_size` (and `verbose=true` where needed) for a list call, merged under the caller's filters. */
export function listQuery(resource: DrChronoEndpoint, filters: Record<string, string> = {}): Record<string, string> {
  const query: Record<string, string> = { page_size: String(syncPageSize(resource)) };
  if (syncVerbose[resource]) query['verbose'] = 'true';
  return Object.assign(query, filters);
}
