import type { DrChronoLabResource } from '../../contract/drchrono-resources.js';
import type { DrChronoRecord } from '../synthetic/dataset.js';
import { BadRequest } from './errors.js';
import { parseSince } from './filters.js';
import { LAB_MODIFIED_FIELD, labOrderOf } from './lab-store.js';
import type { LabScanOptions, LabStore } from './lab-store.js';

// The filters DrChrono's schema documents for the lab lists: `/api/lab_orders` since, doctor; `/api/lab_tests` and
// `/api/lab_results` order, doctor. Anything else (`patient`, `since` on tests/results) is ignored, as DrChrono's
// framework ignores unknown query parameters.

/** What a lab list request selects, in the form LabTable.scan takes. */
export type LabListFilter = Pick<LabScanOptions, 'match' | 'orderId' | 'overlayOnly'>;

function wholeNumber(q: URLSearchParams, name: string): number | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw)) throw new BadRequest({ [name]: ['Enter a whole number.'] });
  return Number(raw);
}

/**
 * Reads a lab list's filters.
 * - `since` (orders): the order's hidden modification time >= since [inferred: orders have no `updated_at`; DrChrono
 *   must compare with something internal, and `timestamp` is the submission time].
 * - `doctor`: the order's `doctor`; tests and results carry no doctor, so theirs is their order's [inferred].
 * - `order` (tests, results): the record's `lab_order` (a string on results, as the schema types it).
 * @param epochTimestamp the dataset's epoch: no generated order was modified later.
 * @throws BadRequest with DrChrono's field-error body for a malformed filter.
 */
export function labListFilter(
  store: LabStore,
  resource: DrChronoLabResource,
  q: URLSearchParams,
  epochTimestamp: string,
): LabListFilter {
  const predicates: Array<(r: DrChronoRecord) => boolean> = [];
  let overlayOnly = false;
  let orderId: number | undefined;
  const sinceRaw = q.get('since');
  if (resource === 'lab_orders' && sinceRaw !== null) {
    const since = parseSince(sinceRaw);
    if (!since) throw new BadRequest({ since: ['Enter a valid date/time.'] });
    predicates.push((r) => String(r[LAB_MODIFIED_FIELD]) >= since);
    if (since > epochTimestamp) overlayOnly = true;
  }
  if (resource !== 'lab_orders') {
    orderId = wholeNumber(q, 'order');
    if (orderId !== undefined) {
      const wanted = String(orderId);
      predicates.push((r) => String(r['lab_order']) === wanted);
    }
  }
  const doctorId = wholeNumber(q, 'doctor');
  if (doctorId !== undefined) predicates.push((r) => labOrderOf(store, resource, r)?.['doctor'] === doctorId);
  return { match: (r) => predicates.every((p) => p(r)), orderId, overlayOnly };
}
