import { BILLING_SLOTS_PER_APPOINTMENT, TRANSACTIONS_PER_LINE_ITEM } from '../synthetic/billing.js';
import type { BillingSlotResource } from '../synthetic/billing.js';
import { BILLING_SLOTS_PER_PATIENT, ID_BASE, SLOTS_PER_PATIENT } from '../synthetic/dataset.js';
import type { ChildResource, DrChronoRecord, SyntheticDataset } from '../synthetic/dataset.js';
import { drchronoBillingLogs, drchronoResources } from '../../contract/drchrono-resources.js';
import type { DrChronoSlotEndpoint } from '../../contract/drchrono-resources.js';

/** The DrChrono endpoints with records (list + detail) the sandbox serves and `control` mutates. */
export const RESOURCES = drchronoResources;
export type ResourceName = (typeof RESOURCES)[number];
/** The billing logs the sandbox serves (lists only); `control` appends to them when it deletes billing records. */
export const LOG_ENDPOINTS = drchronoBillingLogs;
/** Every list endpoint the sandbox serves. */
export type EndpointName = DrChronoSlotEndpoint;

/** A filter that pins the records to one owner's slots, so the scan skips everything else. */
export interface SlotScope {
  readonly by: 'patient' | 'appointment' | 'line_item';
  readonly id: number;
}

/** What a created record carries: DrChrono's schemas differ (line items have no created_at, logs no updated_at…). */
const CREATED_SHAPE: Record<EndpointName, { id: 'number' | 'string' | 'none'; created: boolean; updated: boolean }> = {
  doctors: { id: 'number', created: false, updated: false },
  patients: { id: 'number', created: true, updated: true },
  appointments: { id: 'string', created: true, updated: true },
  clinical_notes: { id: 'number', created: true, updated: true },
  medications: { id: 'number', created: true, updated: true },
  problems: { id: 'number', created: true, updated: true },
  allergies: { id: 'number', created: true, updated: true },
  line_items: { id: 'number', created: false, updated: true },
  transactions: { id: 'number', created: true, updated: true },
  patient_payments: { id: 'number', created: true, updated: true },
  line_item_deletions: { id: 'none', created: true, updated: false },
  patient_payment_log: { id: 'number', created: false, updated: true },
};

const isBilling = (resource: EndpointName): resource is BillingSlotResource =>
  resource in BILLING_SLOTS_PER_APPOINTMENT;

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
  /** Only one owner's slots (plus created records); `match` must still test the field itself. */
  readonly scope?: SlotScope;
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
    readonly resource: EndpointName,
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
    return (ID_BASE as Record<string, number>)[this.resource] ?? 0;
  }

  private generated(slot: number): DrChronoRecord | null {
    if (slot < 0 || slot >= this.generatedSlots) return null;
    const resource = this.resource;
    if (resource === 'patients') return this.dataset.patient(slot);
    if (resource === 'doctors') return this.dataset.doctor(slot);
    if (isBilling(resource)) return this.dataset.billing.record(resource, slot);
    return this.dataset.child(resource, slot);
  }

  /** Whether a generated slot holds a record, without building it. */
  private generatedPresent(slot: number): boolean {
    const resource = this.resource;
    if (resource === 'patients' || resource === 'doctors') return true;
    if (isBilling(resource)) return this.dataset.billing.present(resource, slot);
    return this.dataset.childPresent(resource, slot);
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
    const resource = this.resource;
    let template: DrChronoRecord;
    if (resource === 'patients') template = this.dataset.patient(slot);
    else if (resource === 'doctors') template = this.dataset.doctor(slot);
    else if (isBilling(resource)) template = this.dataset.billing.template(resource, slot);
    else template = this.dataset.child(resource, slot, true) ?? {};
    const shape = CREATED_SHAPE[resource];
    const record: DrChronoRecord = { ...template, ...fields };
    if (shape.id !== 'none') record['id'] = shape.id === 'string' ? String(this.idBase + slot) : this.idBase + slot;
    if (shape.created) record['created_at'] = nowTimestamp;
    else delete record['created_at'];
    if (shape.updated) record['updated_at'] = nowTimestamp;
    else delete record['updated_at'];
    if (resource === 'appointments') {
      record['deleted_flag'] = false;
      record['recurring_appointment'] = fields['recurring_appointment'] ?? false;
      record['base_recurring_appointment'] = fields['base_recurring_appointment'] ?? null;
    }
    this.setOverlay(slot, { record, hidden: false });
    return record;
  }

  update(id: string | number, patch: DrChronoRecord, nowTimestamp: string): DrChronoRecord {
    const slot = this.slotOfId(id);
    const current = slot === null ? null : this.recordAt(slot);
    if (slot === null || !current) throw new SandboxRecordNotFoundError(this.resource, id);
    const record: DrChronoRecord = { ...current, ...patch, id: current['id'] };
    if (CREATED_SHAPE[this.resource].updated && patch['updated_at'] === undefined) record['updated_at'] = nowTimestamp;
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

  /**
   * The generated slots an owner's records can occupy, or 'all' when this resource's slots are not laid out by that
   * owner (then the scan examines everything and `match` decides).
   */
  private ownedSlots(scope: SlotScope): [number, number] | null | 'all' {
    const resource = this.resource;
    const within = (index: number, count: number, per: number): [number, number] | null =>
      index >= 0 && index < count ? [index * per, (index + 1) * per] : null;
    if (resource === 'patients' || resource === 'doctors') return 'all';
    if (scope.by === 'patient') {
      const per = isBilling(resource)
        ? BILLING_SLOTS_PER_PATIENT[resource]
        : SLOTS_PER_PATIENT[resource as ChildResource];
      return within(scope.id - ID_BASE.patients, this.dataset.patientCount, per);
    }
    if (!isBilling(resource)) return 'all';
    if (scope.by === 'appointment') {
      const appointments = this.dataset.slotCount('appointments');
      return within(scope.id - ID_BASE.appointments, appointments, BILLING_SLOTS_PER_APPOINTMENT[resource]);
    }
    if (resource !== 'transactions') return 'all';
    return within(scope.id - ID_BASE.line_items, this.dataset.slotCount('line_items'), TRANSACTIONS_PER_LINE_ITEM);
  }

  /** Candidate slot ranges [start, end) in list order for an optional owner scope. */
  private ranges(scope: SlotScope | undefined): Array<[number, number]> {
    if (scope === undefined) return [[0, this.nextSlot]];
    const owned = this.ownedSlots(scope);
    if (owned === 'all') return [[0, this.nextSlot]];
    const out: Array<[number, number]> = owned ? [owned] : [];
    if (this.nextSlot > this.generatedSlots) out.push([this.generatedSlots, this.nextSlot]); // created records, any owner
    return out;
  }

  /** Walks slots in list order (or reverse), collecting matches; never materialises more than it examines. */
  scan(options: ScanOptions): ScanResult {
    const items: Array<{ slot: number; record: DrChronoRecord }> = [];
    let budget = options.budget;
    const accept = (slot: number): boolean => {
      const record = this.recordAt(slot);
      if (record && options.match(record)) items.push({ slot, record });
      budget -= 1;
      return items.length >= options.limit || budget <= 0;
    };
    const ranges = this.ranges(options.scope);
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
    else for (let slot = 0; slot < generated; slot += 1) if (this.generatedPresent(slot)) total += 1;
    for (const [slot, entry] of this.overlay) {
      const wasGenerated = slot < generated && this.generatedPresent(slot);
      if (wasGenerated && entry.hidden) total -= 1;
      if (!wasGenerated && !entry.hidden) total += 1;
    }
    return total;
  }
}

export type SandboxStore = Record<EndpointName, ResourceTable>;

export function createSandboxStore(dataset: SyntheticDataset): SandboxStore {
  const store = {} as SandboxStore;
  for (const resource of [...RESOURCES, ...LOG_ENDPOINTS]) store[resource] = new ResourceTable(resource, dataset);
  return store;
}
