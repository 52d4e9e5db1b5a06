import { drchronoDefaultPageSize, drchronoLabPageCaps } from '../../contract/drchrono-api.js';
import { drchronoLabResources } from '../../contract/drchrono-resources.js';
import type { DrChronoLabResource } from '../../contract/drchrono-resources.js';
import type { DrChronoRecord, SyntheticDataset } from '../synthetic/dataset.js';
import { SandboxRecordNotFoundError } from './store.js';
import { labListFilter } from './lab-filters.js';
import { LAB_MODIFIED_FIELD, createLabStore } from './lab-store.js';
import type { LabStore } from './lab-store.js';
import { cursorPage } from './paging.js';
import type { ListPage } from './paging.js';

// What app.ts needs to serve the lab endpoints and to let `control` change lab records; routing stays in app.ts.

/** The lab lists, detail and mutations of one sandbox. */
export interface SandboxLabApi {
  readonly store: LabStore;
  /** `GET /api/<lab resource>`: filters, `page_size` (capped) and cursor like the other lists. */
  list(url: URL, resource: DrChronoLabResource): ListPage;
  /** `GET /api/<lab resource>/:id`, serialized, or null (404). */
  detail(resource: DrChronoLabResource, id: string): DrChronoRecord | null;
  /** Creates a record; an order gets `timestamp` (unless given) and its modification time = now. */
  create(resource: DrChronoLabResource, fields: DrChronoRecord, nowTimestamp: string): DrChronoRecord;
  /** Patches a record; patching an order moves its modification time to now (it shows up for `since`). */
  update(
    resource: DrChronoLabResource,
    id: string | number,
    patch: DrChronoRecord,
    nowTimestamp: string,
  ): DrChronoRecord;
  /** Deletes a record; a deleted order's tests and results disappear with it [inferred]. */
  remove(resource: DrChronoLabResource, id: string | number): void;
  get(resource: DrChronoLabResource, id: string | number): DrChronoRecord | null;
  count(resource: DrChronoLabResource): number;
}

export function isLabResource(resource: string): resource is DrChronoLabResource {
  return (drchronoLabResources as readonly string[]).includes(resource);
}

/** A lab record as the API serializes it: without the sandbox's hidden fields (no lab field is verbose-only). */
export function serializeLabRecord(record: DrChronoRecord): DrChronoRecord {
  const out = { ...record };
  delete out[LAB_MODIFIED_FIELD];
  return out;
}

export interface SandboxLabApiOptions {
  readonly dataset: SyntheticDataset;
  /** Most slots one list request examines (the sandbox's `scanBudget`). */
  readonly scanBudget: number;
}

export function createSandboxLabApi({ dataset, scanBudget }: SandboxLabApiOptions): SandboxLabApi {
  const store = createLabStore(dataset);

  /** Tests need an existing order and results an existing test: the parents their records point at. */
  const withParents = (resource: DrChronoLabResource, fields: DrChronoRecord): DrChronoRecord => {
    if (resource === 'lab_tests') {
      if (!store.lab_orders.get(String(fields['lab_order'])))
        throw new SandboxRecordNotFoundError('lab_orders', String(fields['lab_order']));
      return { ...fields, lab_order: Number(fields['lab_order']) };
    }
    if (resource === 'lab_results') {
      const test = store.lab_tests.get(String(fields['lab_test']));
      if (!test) throw new SandboxRecordNotFoundError('lab_tests', String(fields['lab_test']));
      // `lab_order` is read-only on results: DrChrono takes it from the test.
      return { ...fields, lab_test: test['id'], lab_order: String(test['lab_order']) };
    }
    return fields;
  };

  return {
    store,
    list(url, resource) {
      const q = url.searchParams;
      const caps = drchronoLabPageCaps[resource];
      const max = q.get('verbose') === 'true' ? caps.verboseMax : caps.max;
      const requested = Number.parseInt(q.get('page_size') ?? '', 10);
      const pageSize = Math.min(
        Number.isInteger(requested) && requested > 0 ? requested : drchronoDefaultPageSize,
        max,
      );
      const filter = labListFilter(store, resource, q, dataset.epochTimestamp);
      const table = store[resource];
      return cursorPage(
        url,
        pageSize,
        (from, direction, limit) => table.scan({ ...filter, from, direction, limit, budget: scanBudget }),
        serializeLabRecord,
      );
    },
    detail(resource, id) {
      const record = store[resource].get(id);
      return record ? serializeLabRecord(record) : null;
    },
    create(resource, fields, nowTimestamp) {
      const stamped =
        resource === 'lab_orders'
          ? { timestamp: nowTimestamp, ...fields, [LAB_MODIFIED_FIELD]: nowTimestamp }
          : withParents(resource, fields);
      // The template is the generated record of the new slot, so an order's `requisition_id` is already its id.
      return serializeLabRecord(store[resource].create(stamped));
    },
    update(resource, id, patch, nowTimestamp) {
      const stamped =
        resource === 'lab_orders'
          ? { ...patch, [LAB_MODIFIED_FIELD]: nowTimestamp }
          : resource === 'lab_results' && patch['lab_test'] !== undefined
            ? withParents(resource, patch)
            : patch;
      return serializeLabRecord(store[resource].update(id, stamped));
    },
    remove: (resource, id) => store[resource].remove(id),
    get(resource, id) {
      const record = store[resource].get(id);
      return record ? serializeLabRecord(record) : null;
    },
    count: (resource) => store[resource].count(),
  };
}
