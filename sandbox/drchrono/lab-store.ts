import type { DrChronoLabResource } from '../../contract/drchrono-resources.js';
import { LAB_ID_BASE, LAB_SLOTS_PER_PARENT, createLabGenerator } from '../synthetic/labs.js';
import type { LabGenerator } from '../synthetic/labs.js';
import type { DrChronoRecord, SyntheticDataset } from '../synthetic/dataset.js';
import { SandboxRecordNotFoundError } from './store.js';
import type { ScanResult } from './store.js';

// The lab records the sandbox serves: generated ones addressed by slot (sandbox/synthetic/labs.ts) plus a small
// overlay of created, changed and deleted ones — the same design as store.ts's ResourceTable, kept apart because lab
// records nest (order → tests → results) where the other resources hang off a patient.

/** Hidden field of lab orders: when DrChrono last changed the order, which `since` compares with (never serialized). */
export const LAB_MODIFIED_FIELD = '_modified';

interface OverlayEntry {
  record: DrChronoRecord;
  hidden: boolean;
}

export interface LabScanOptions {
  readonly from: number;
  readonly direction: 1 | -1;
  readonly limit: number;
  /** Stop after examining this many slots. */
  readonly budget: number;
  readonly match: (record: DrChronoRecord) => boolean;
  /** Only the records of this order (`order=`): its own slots plus the overlay, never a full scan. */
  readonly orderId?: number;
  /** Only records in the overlay (when no generated record can match, e.g. `since` after the dataset epoch). */
  readonly overlayOnly?: boolean;
}

/** One lab resource: generated slots, then created records in slots after them, so ids stay stable. */
export class LabTable {
  private readonly overlay = new Map<number, OverlayEntry>();
  private sortedOverlaySlots: number[] | null = [];
  private nextSlot: number;

  constructor(
    readonly resource: DrChronoLabResource,
    private readonly labs: LabGenerator,
    /** Whether the record's parent is visible: a deleted order takes its tests and results with it. */
    private readonly parentVisible: (record: DrChronoRecord) => boolean,
  ) {
    this.nextSlot = labs.slotCount(resource);
  }

  private get idBase(): number {
    return LAB_ID_BASE[this.resource];
  }

  private get generatedSlots(): number {
    return this.labs.slotCount(this.resource);
  }

  /** The record in a slot, overlay first, ignoring the parent. */
  private ownRecord(slot: number): DrChronoRecord | null {
    const entry = this.overlay.get(slot);
    if (entry) return entry.hidden ? null : entry.record;
    return slot < this.generatedSlots ? this.labs.record(this.resource, slot) : null;
  }

  /** The visible record in a slot: present, not deleted, and its parent visible. */
  recordAt(slot: number): DrChronoRecord | null {
    const record = this.ownRecord(slot);
    return record && this.parentVisible(record) ? record : null;
  }

  slotOfId(id: string | number): number | null {
    const text = String(id).trim();
    if (!/^\d+$/.test(text)) return null;
    const slot = Number(text) - this.idBase;
    return slot >= 0 && slot < this.nextSlot ? slot : null;
  }

  get(id: string | number): DrChronoRecord | null {
    const slot = this.slotOfId(id);
    return slot === null ? null : this.recordAt(slot);
  }

  private setOverlay(slot: number, entry: OverlayEntry): void {
    if (!this.overlay.has(slot)) this.sortedOverlaySlots = null;
    this.overlay.set(slot, entry);
  }

  private overlaySlots(): number[] {
    this.sortedOverlaySlots ??= [...this.overlay.keys()].sort((a, b) => a - b);
    return this.sortedOverlaySlots;
  }

  /** A new record in the next free slot: a generated template overridden by `fields`, with the given id. */
  create(fields: DrChronoRecord): DrChronoRecord {
    const slot = this.nextSlot;
    this.nextSlot += 1;
    const template = this.labs.record(this.resource, slot, true) ?? {};
    const record: DrChronoRecord = { ...template, ...fields, id: this.idBase + slot };
    this.setOverlay(slot, { record, hidden: false });
    return record;
  }

  update(id: string | number, patch: DrChronoRecord): DrChronoRecord {
    const slot = this.slotOfId(id);
    const current = slot === null ? null : this.recordAt(slot);
    if (slot === null || !current) throw new SandboxRecordNotFoundError(this.resource, id);
    const record: DrChronoRecord = { ...current, ...patch, id: current['id'] };
    this.setOverlay(slot, { record, hidden: false });
    return record;
  }

  remove(id: string | number): void {
    const slot = this.slotOfId(id);
    const current = slot === null ? null : this.recordAt(slot);
    if (slot === null || !current) throw new SandboxRecordNotFoundError(this.resource, id);
    this.setOverlay(slot, { record: current, hidden: true });
  }

  /**
   * Slot ranges [start, end) to examine, ascending. With `orderId`: the order's own child slots (slot arithmetic)
   * plus every overlay slot (created records, and changed ones that may now point at this order).
   */
  private ranges(options: LabScanOptions): Array<[number, number]> {
    const single = (slots: number[]): Array<[number, number]> => slots.map((s) => [s, s + 1]);
    if (options.overlayOnly) return single(this.overlaySlots());
    if (options.orderId === undefined) return [[0, this.nextSlot]];
    const per =
      this.resource === 'lab_tests'
        ? LAB_SLOTS_PER_PARENT.lab_tests
        : this.resource === 'lab_results'
          ? LAB_SLOTS_PER_PARENT.lab_tests * LAB_SLOTS_PER_PARENT.lab_results
          : 1;
    const orderSlot = options.orderId - LAB_ID_BASE.lab_orders;
    const own: [number, number] | null =
      orderSlot >= 0 && (orderSlot + 1) * per <= this.generatedSlots ? [orderSlot * per, (orderSlot + 1) * per] : null;
    const out = single(this.overlaySlots().filter((s) => !own || s < own[0] || s >= own[1]));
    if (own) out.push(own);
    return out.sort((a, b) => a[0] - b[0]);
  }

  /** Walks slots in list order (or backwards), collecting visible matches; builds only the records it examines. */
  scan(options: LabScanOptions): ScanResult {
    const items: ScanResult['items'] = [];
    let budget = options.budget;
    const ranges = this.ranges(options);
    const examine = (slot: number): boolean => {
      const record = this.recordAt(slot);
      if (record && options.match(record)) items.push({ slot, record });
      budget -= 1;
      return items.length >= options.limit || budget <= 0;
    };
    if (options.direction === 1) {
      for (const [start, end] of ranges) {
        for (let slot = Math.max(start, options.from); slot < end; slot += 1) {
          if (examine(slot)) return { items, resume: ranges.some(([, e]) => e > slot + 1) ? slot + 1 : null };
        }
      }
      return { items, resume: null };
    }
    for (const [start, end] of ranges.slice().reverse()) {
      for (let slot = Math.min(end, options.from) - 1; slot >= start; slot -= 1) {
        if (examine(slot)) return { items, resume: slot };
      }
    }
    return { items, resume: null };
  }

  /** Visible records (examines every slot; meant for tests and small datasets). */
  count(): number {
    let total = 0;
    for (let slot = 0; slot < this.nextSlot; slot += 1) if (this.recordAt(slot)) total += 1;
    return total;
  }
}

export type LabStore = Record<DrChronoLabResource, LabTable>;

/** The three lab tables of a dataset, wired so that a hidden order hides its tests and a hidden test its results. */
export function createLabStore(dataset: SyntheticDataset): LabStore {
  const labs = createLabGenerator(dataset);
  const store = {} as LabStore;
  store.lab_orders = new LabTable('lab_orders', labs, () => true);
  store.lab_tests = new LabTable('lab_tests', labs, (test) => store.lab_orders.get(String(test['lab_order'])) !== null);
  store.lab_results = new LabTable(
    'lab_results',
    labs,
    (result) => store.lab_tests.get(String(result['lab_test'])) !== null,
  );
  return store;
}

/** The order a lab record belongs to (itself for an order), or null when it is gone. */
export function labOrderOf(
  store: LabStore,
  resource: DrChronoLabResource,
  record: DrChronoRecord,
): DrChronoRecord | null {
  if (resource === 'lab_orders') return record;
  return store.lab_orders.get(String(record['lab_order']));
}
