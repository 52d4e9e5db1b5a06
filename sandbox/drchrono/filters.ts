import type { DrChronoRecord } from '../synthetic/dataset.js';
import { BadRequest } from './errors.js';
import type { EndpointName, SlotScope } from './store.js';

/** DrChrono rejects appointment `date_range` spans longer than this. */
export const APPOINTMENT_DATE_RANGE_MAX_DAYS = 190;

/**
 * The list filters DrChrono documents per endpoint (OpenAPI `GET /api/<endpoint>` parameters; docs/…/drchrono-billing
 * facts for billing). Anything else is ignored, as DrChrono (DRF) ignores unknown query parameters: e.g. `patient` on
 * transactions and `appointment` on patient payments. `since` compares to the named timestamp.
 */
interface EndpointFilters {
  readonly since?: 'updated_at' | 'created_at';
  /** Integer filters: query parameter → the record field it must equal. */
  readonly ids?: Readonly<
    Partial<Record<'patient' | 'doctor' | 'appointment' | 'appointment_id' | 'line_item', string>>
  >;
  /** Exact-date filters: query parameter → the `YYYY-MM-DD` record field it must equal. */
  readonly dates?: Readonly<Partial<Record<'posted_date' | 'service_date', string>>>;
}

const CLINICAL_IDS = { patient: 'patient', doctor: 'doctor' } as const;
const FILTERS: Record<EndpointName, EndpointFilters> = {
  doctors: {},
  patients: { since: 'updated_at', ids: { doctor: 'doctor' } },
  appointments: { since: 'updated_at', ids: CLINICAL_IDS },
  clinical_notes: { since: 'updated_at', ids: CLINICAL_IDS },
  medications: { ids: CLINICAL_IDS },
  problems: { ids: CLINICAL_IDS },
  allergies: { ids: CLINICAL_IDS },
  line_items: {
    since: 'updated_at',
    ids: { patient: 'patient', appointment: 'appointment', doctor: 'doctor' },
    dates: { posted_date: 'posted_date', service_date: 'service_date' },
  },
  transactions: {
    since: 'updated_at',
    ids: { line_item: 'line_item', appointment: 'appointment', doctor: 'doctor' },
    dates: { posted_date: 'posted_date' },
  },
  patient_payments: {
    since: 'updated_at',
    ids: { patient: 'patient', doctor: 'doctor' },
    dates: { posted_date: 'posted_date' },
  },
  line_item_deletions: { since: 'created_at', ids: { appointment_id: 'appointment_id' } },
  // `CashPaymentLog` has no created_at; its one timestamp is updated_at.
  patient_payment_log: { since: 'updated_at', ids: { doctor: 'doctor' } },
};

/** The scope a filter gives the store, narrowest first (a line item's slots are inside its appointment's). */
const SCOPE_OF: ReadonlyArray<readonly [string, SlotScope['by']]> = [
  ['line_item', 'line_item'],
  ['appointment', 'appointment'],
  ['appointment_id', 'appointment'],
  ['patient', 'patient'],
];

/** What a list request's query selects, in the form the store's scan takes. */
export interface ListFilter {
  readonly match: (record: DrChronoRecord) => boolean;
  /** An owner filter (`patient=`, `appointment=`, `line_item=`) the store answers from that owner's own slots. */
  readonly scope: SlotScope | undefined;
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
 * Reads the filters DrChrono supports for an endpoint ({@link FILTERS}; for appointments also `date` or `date_range`,
 * one of which or `since` is required); other parameters are ignored, as DrChrono does. Ids compare as text: DrChrono
 * types a line item's `patient`/`doctor` and a payment log's ids as strings, other resources' as integers.
 * @param epochTimestamp the dataset's epoch: no generated record is newer.
 * @throws BadRequest with DrChrono's field-error body for a malformed or missing filter.
 */
export function listFilter(resource: EndpointName, q: URLSearchParams, epochTimestamp: string): ListFilter {
  const spec = FILTERS[resource];
  const predicates: Array<(r: DrChronoRecord) => boolean> = [];
  let overlayOnly = false;
  const sinceRaw = q.get('since');
  const sinceField = spec.since;
  const hasSince = sinceRaw !== null && sinceField !== undefined;
  if (hasSince) {
    const since = parseSince(sinceRaw);
    if (!since) throw new BadRequest({ since: ['Enter a valid date/time.'] });
    predicates.push((r) => String(r[sinceField]) >= since);
    if (since > epochTimestamp) overlayOnly = true; // no generated record is newer than the epoch
  }
  const ids = new Map<string, number>();
  for (const [param, field] of Object.entries(spec.ids ?? {})) {
    const raw = q.get(param);
    if (raw === null) continue;
    if (!/^\d+$/.test(raw)) throw new BadRequest({ [param]: ['Enter a whole number.'] });
    const wanted = String(Number(raw));
    ids.set(param, Number(raw));
    predicates.push((r) => r[field] !== null && r[field] !== undefined && String(r[field]) === wanted);
  }
  for (const [param, field] of Object.entries(spec.dates ?? {})) {
    const raw = q.get(param);
    if (raw === null) continue;
    const date = parseDate(raw);
    if (!date) throw new BadRequest({ [param]: ['Enter a valid date.'] });
    predicates.push((r) => String(r[field]).startsWith(date));
  }
  const scoped = SCOPE_OF.find(([param]) => ids.has(param));
  const scope: SlotScope | undefined = scoped ? { by: scoped[1], id: ids.get(scoped[0])! } : undefined;
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
  return { match: (r) => predicates.every((p) => p(r)), scope, overlayOnly };
}
