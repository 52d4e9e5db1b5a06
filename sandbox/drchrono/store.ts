import { ID_BASE, SLOTS_PER_PATIENT } from '../synthetic/dataset.js';
import type { ChildResource, DrChronoRecord, SyntheticDataset } from '../synthetic/dataset.js';
import { drchronoResources } from '../../contract/drchrono-resources.js';

/** The DrChrono list endpoints this sandbox serves. */
/** The DrChrono endpoints the sandbox serves: the ones the platform reads. */
export const RESOURCES = drchronoResources;
export type ResourceName = (typeof RESOURCES)[number];

/** Thrown by mutations addressing a record that does not exist (or is deleted). */
export class SandboxRecordNotFoundError extends Error {
  override readonly name = 'SandboxRecordNotFoundError';
  constructor(resource: string, id: string | number) {
    super(`${resource} ${String(id)} not found`);
  }
}

interface OverlayEntry {
  record: DrChronoRecord;
  /** Hidden from lists and detail (patients, notes, medications, problems, allergies). */
  hidden: boolean;
}

export interface ScanOptions {
  /** First slot to examine (forward) or the slot *after* the first one to examine (backward). */
  readonly from: number;
  readonly direction: 1 | -1;
  /** Stop after this many matches. */
  readonly limit: number;
  /** Stop after examining this many slots (keeps sparse filters cheap). */
  readonly budget: number;
  readonly match: (record: DrChronoRecord) => boolean;
  /** Only this patient's records (child resources and patients). */
  readonly patientId?: number;
  /** Only examine records in the mutation overlay (when a filter rules out every generated record). */
  readonly overlayOnly?: boolean;
}

export interface ScanResult {
  readonly items: Array<{ slot: number; record: DrChronoRecord }>;
  /** Slot where a continued scan would start, or null when the scan reached the end. */
  readonly resume: number | null;
}

/**
 * One resource: generated records addressed by slot, plus a small overlay of created/modified/deleted records.
 * Created records get slots after the generated range, so ids stay stable and ordering is by slot.
 */
export class ResourceTable {
  readonly overlay = new Map<number, OverlayEntry>();
  private sortedOverlaySlots: number[] | null = [];
  private nextSlot: number;

  constructor(
    readonly resource: ResourceName,
    private readonly dataset: SyntheticDataset,
  ) {
    this.nextSlot = this.generatedSlots;
  }

  get generatedSlots(): number {
    return this.dataset.slotCount(this.resource);
  }

  get totalSlots(): number {
    return this.nextSlot;
  }

  private get idBase(): number {
    return ID_BASE[this.resource];
  }

  private generated(slot: number): DrChronoRecord | null {
    if (slot < 0 || slot >= this.generatedSlots) return null;
    switch (this.resource) {
      case 'patients':
        return this.dataset.patient(slot);
      case 'doctors':
        return this.dataset.doctor(slot);
      default:
        return this.dataset.child(this.resource, slot);
    }
  }

  /** The visible record in a slot (null when empty or deleted-and-hidden). */
  recordAt(slot: number): DrChronoRecord | null {
    const entry = this.overlay.get(slot);
    if (entry) return entry.hidden ? null : entry.record;
    return this.generated(slot);
  }

  slotOfId(id: string | number): number | null {
    const text = String(id);
    const numeric = Number.parseInt(text.split('_')[0] ?? '', 10);
    if (!Number.isSafeInteger(numeric)) return null;
    const slot = numeric - this.idBase;
    if (slot < 0 || slot >= this.nextSlot) return null;
    const record = this.overlay.get(slot)?.record ?? this.generated(slot);
    return record && String(record['id']) === text ? slot : null;
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

  /** Template for a new record: a generated record for the new slot (fake values), overridden by `fields`. */
  create(fields: DrChronoRecord, nowTimestamp: string): DrChronoRecord {
    const slot = this.nextSlot;
    this.nextSlot += 1;
    let template: DrChronoRecord;
    if (this.resource === 'patients') template = this.dataset.patient(slot);
    else if (this.resource === 'doctors') template = this.dataset.doctor(slot);
    else template = this.dataset.child(this.resource, slot, true) ?? {};
    const id = this.resource === 'appointments' ? String(this.idBase + slot) : this.idBase + slot;
    const record: DrChronoRecord = { ...template, ...fields, id, created_at: nowTimestamp, updated_at: nowTimestamp };
    if (this.resource === 'appointments') {
      record['deleted_flag'] = false;
      record['recurring_appointment'] = fields['recurring_appointment'] ?? false;
      record['base_recurring_appointment'] = fields['base_recurring_appointment'] ?? null;
    }
    if (this.resource === 'doctors') delete record['created_at'];
    if (this.resource === 'doctors') delete record['updated_at'];
    this.setOverlay(slot, { record, hidden: false });
    return record;
  }

  update(id: string | number, patch: DrChronoRecord, nowTimestamp: string): DrChronoRecord {
    const slot = this.slotOfId(id);
    const current = slot === null ? null : this.recordAt(slot);
    if (slot === null || !current) throw new SandboxRecordNotFoundError(this.resource, id);
    const record: DrChronoRecord = { ...current, ...patch, id: current['id'] };
    if (this.resource !== 'doctors' && patch['updated_at'] === undefined) record['updated_at'] = nowTimestamp;
    this.setOverlay(slot, { record, hidden: false });
    return record;
  }

  /**
   * Deletes like DrChrono: appointments stay listed with `deleted_flag: true` and a new `updated_at`;
   * every other resource simply disappears from lists and detail (there is no delete event for them).
   */
  remove(id: string | number, nowTimestamp: string): void {
    const slot = this.slotOfId(id);
    const current = slot === null ? null : this.recordAt(slot);
    if (slot === null || !current) throw new SandboxRecordNotFoundError(this.resource, id);
    if (this.resource === 'appointments') {
      this.setOverlay(slot, { record: { ...current, deleted_flag: true, updated_at: nowTimestamp }, hidden: false });
    } else {
      this.setOverlay(slot, { record: current, hidden: true });
    }
  }

  /** Candidate slot ranges [start, end) in list order for an optional patient filter. */
  private ranges(patientId: number | undefined): Array<[number, number]> {
    if (patientId === undefined) return [[0, this.nextSlot]];
    const index = patientId - ID_BASE.patients;
    const generated = this.generatedSlots;
    const out: Array<[number, number]> = [];
    if (this.resource === 'patients') {
      if (index >= 0 && index < this.nextSlot) out.push([index, index + 1]);
      return out;
    }
    if (this.resource === 'doctors') return [[0, this.nextSlot]];
    const per = SLOTS_PER_PATIENT[this.resource as ChildResource];
    if (index >= 0 && index < this.dataset.patientCount) out.push([index * per, (index + 1) * per]);
    if (this.nextSlot > generated) out.push([generated, this.nextSlot]); // created records of any patient
    return out;
  }

  /** Walks slots in list order (or reverse), collecting matches; never materialises more than it examines. */
  scan(options: ScanOptions): ScanResult {
    const items: Array<{ slot: number; record: DrChronoRecord }> = [];
    let budget = options.budget;
    const accept = (slot: number): boolean => {
      const record = this.recordAt(slot);
      if (
        record &&
        (options.patientId === undefined ||
          this.resource === 'patients' ||
          this.resource === 'doctors' ||
          record['patient'] === options.patientId) &&
        options.match(record)
      ) {
        items.push({ slot, record });
      }
      budget -= 1;
      return items.length >= options.limit || budget <= 0;
    };
    const ranges = this.ranges(options.patientId);
    if (options.direction === 1) {
      const ordered = options.overlayOnly ? this.overlaySlots().map((s): [number, number] => [s, s + 1]) : ranges;
      for (const [start, end] of ordered) {
        if (options.overlayOnly && !ranges.some(([a, b]) => start >= a && start < b)) continue;
        for (let slot = Math.max(start, options.from); slot < end; slot += 1) {
          if (accept(slot)) return { items, resume: this.hasCandidateAfter(slot, ordered) ? slot + 1 : null };
        }
      }
      return { items, resume: null };
    }
    const ordered = (options.overlayOnly ? this.overlaySlots().map((s): [number, number] => [s, s + 1]) : ranges)
      .slice()
      .reverse();
    for (const [start, end] of ordered) {
      if (options.overlayOnly && !ranges.some(([a, b]) => start >= a && start < b)) continue;
      for (let slot = Math.min(end, options.from) - 1; slot >= start; slot -= 1) {
        if (accept(slot)) return { items, resume: slot };
      }
    }
    return { items, resume: null };
  }

  private hasCandidateAfter(slot: number, ranges: Array<[number, number]>): boolean {
    return ranges.some(([, end]) => end > slot + 1);
  }

  /** Number of visible records (cheap presence checks for generated slots, no record building). */
  count(): number {
    let total = 0;
    const generated = this.generatedSlots;
    if (this.resource === 'patients' || this.resource === 'doctors') total = generated;
    else
      for (let slot = 0; slot < generated; slot += 1)
        if (this.dataset.childPresent(this.resource as ChildResource, slot)) total += 1;
    for (const [slot, entry] of this.overlay) {
      const wasGenerated =
        slot < generated &&
        (this.resource === 'patients' ||
          this.resource === 'doctors' ||
          this.dataset.childPresent(this.resource as ChildResource, slot));
      if (wasGenerated && entry.hidden) total -= 1;
      if (!wasGenerated && !entry.hidden) total += 1;
    }
    return total;
  }
}

export type SandboxStore = Record<ResourceName, ResourceTable>;

export function createSandboxStore(dataset: SyntheticDataset): SandboxStore {
  const store = {} as SandboxStore;
  for (const resource of RESOURCES) store[resource] = new ResourceTable(resource, dataset);
  return store;
}
