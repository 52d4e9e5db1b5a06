import type { DrChronoRecord } from '../synthetic/dataset.js';
import { BadRequest } from './errors.js';
import type { ResourceName } from './store.js';

/** DrChrono rejects appointment `date_range` spans longer than this. */
export const APPOINTMENT_DATE_RANGE_MAX_DAYS = 190;

/** Resources where DrChrono honours `since`; elsewhere it is ignored like any unknown query parameter. */
const SINCE_RESOURCES: ReadonlySet<ResourceName> = new Set(['patients', 'appointments', 'clinical_notes']);
const PATIENT_FILTER_RESOURCES: ReadonlySet<ResourceName> = new Set([
  'appointments',
  'clinical_notes',
  'medications',
  'problems',
  'allergies',
]);
const DOCTOR_FILTER_RESOURCES: ReadonlySet<ResourceName> = new Set([
  'patients',
  'appointments',
  'clinical_notes',
  'medications',
  'problems',
  'allergies',
]);

/** What a list request's query selects, in the form the store's scan takes. */
export interface ListFilter {
  readonly match: (record: DrChronoRecord) => boolean;
  /** `patient=` filter, which the store answers from the patient's own slots. */
  readonly patientId: number | undefined;
  /** True when no generated record can match (e.g. `since` after the dataset epoch): scan created/changed ones only. */
  readonly overlayOnly: boolean;
}

/** Normalises `YYYY-MM-DD` / `YYYY-MM-DDTHH:MM[:SS]` to a comparable zone-less timestamp, or null. */
export function parseSince(raw: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/.exec(raw);
  if (!m) return null;
  const text = `${m[1]}T${m[2] ?? '00'}:${m[3] ?? '00'}:${m[4] ?? '00'}`;
  return Number.isNaN(Date.parse(`${text}Z`)) ? null : text;
}

function parseDate(raw: string): string | null {
  return /^\d{4}-\d{2}-\d{2}$/.test(raw) && !Number.isNaN(Date.parse(`${raw}T00:00:00Z`)) ? raw : null;
}

/**
 * Reads the filters DrChrono supports for a resource (`since`, `patient`, `doctor`, and for appointments `date` or
 * `date_range`, one of which or `since` is required); other parameters are ignored, as DrChrono does.
 * @param epochTimestamp the dataset's epoch: no generated record is newer.
 * @throws BadRequest with DrChrono's field-error body for a malformed or missing filter.
 */
export function listFilter(resource: ResourceName, q: URLSearchParams, epochTimestamp: string): ListFilter {
  const predicates: Array<(r: DrChronoRecord) => boolean> = [];
  let overlayOnly = false;
  const sinceRaw = q.get('since');
  const hasSince = sinceRaw !== null && SINCE_RESOURCES.has(resource);
  if (hasSince) {
    const since = parseSince(sinceRaw);
    if (!since) throw new BadRequest({ since: ['Enter a valid date/time.'] });
    predicates.push((r) => String(r['updated_at']) >= since);
    if (since > epochTimestamp) overlayOnly = true; // no generated record is newer than the epoch
  }
  let patientId: number | undefined;
  const patientRaw = q.get('patient');
  if (patientRaw !== null && PATIENT_FILTER_RESOURCES.has(resource)) {
    if (!/^\d+$/.test(patientRaw)) throw new BadRequest({ patient: ['Enter a whole number.'] });
    patientId = Number(patientRaw);
  }
  const doctorRaw = q.get('doctor');
  if (doctorRaw !== null && DOCTOR_FILTER_RESOURCES.has(resource)) {
    if (!/^\d+$/.test(doctorRaw)) throw new BadRequest({ doctor: ['Enter a whole number.'] });
    const doctorId = Number(doctorRaw);
    predicates.push((r) => r['doctor'] === doctorId);
  }
  if (resource === 'appointments') {
    const dateRaw = q.get('date');
    const rangeRaw = q.get('date_range');
    if (dateRaw !== null) {
      const date = parseDate(dateRaw);
      if (!date) throw new BadRequest({ date: ['Enter a valid date.'] });
      predicates.push((r) => String(r['scheduled_time']).startsWith(date));
    } else if (rangeRaw !== null) {
      const [startRaw, endRaw] = rangeRaw.split('/');
      const start = parseDate(startRaw ?? '');
      const end = parseDate(endRaw ?? '');
      if (!start || !end || end < start)
        throw new BadRequest({ date_range: ['Enter a valid date range: YYYY-MM-DD/YYYY-MM-DD.'] });
      const days = (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000;
      if (days > APPOINTMENT_DATE_RANGE_MAX_DAYS) {
        throw new BadRequest({ date_range: [`Date range may not exceed ${APPOINTMENT_DATE_RANGE_MAX_DAYS} days.`] });
      }
      const endExclusive = `${end}T99`;
      predicates.push((r) => {
        const t = String(r['scheduled_time']);
        return t >= start && t < endExclusive;
      });
    } else if (!hasSince) {
      throw new BadRequest({ non_field_errors: ['One of date, date_range or since is required.'] });
    }
  }
  return { match: (r) => predicates.every((p) => p(r)), patientId, overlayOnly };
}
