import { drchronoVerboseOnlyFields } from '../../contract/drchrono-api.js';
import type { DrChronoRecord } from '../synthetic/dataset.js';
import type { EndpointName, SandboxStore } from './store.js';

/** Serializes a stored record as the REST API (and a webhook delivery) would. */
export type Serializer = (resource: EndpointName, record: DrChronoRecord, verbose: boolean) => DrChronoRecord;

/**
 * The REST (and webhook) serializer, by DrChrono's schema: verbose-only fields only with `verbose`; a clinical note
 * carries its lock as `signee.locked_by` and has no `locked` (the store keeps `locked` as the sandbox's own truth).
 */
export function createSerializer(store: SandboxStore): Serializer {
  /** An appointment's verbose `clinical_note` summary, from the live note record (generated or created later). */
  const noteSummaryFor = (appointment: DrChronoRecord): DrChronoRecord | null => {
    const slot = store.appointments.slotOfId(String(appointment['id']));
    let note: DrChronoRecord | null =
      slot !== null && slot < store.appointments.generatedSlots ? store.clinical_notes.recordAt(slot) : null;
    if (!note || note['appointment'] !== appointment['id']) {
      note = null;
      for (const entry of store.clinical_notes.overlay.values()) {
        if (!entry.hidden && entry.record['appointment'] === appointment['id']) note = entry.record;
      }
    }
    return note ? { locked: note['locked'], pdf: note['pdf'] ?? null, updated_at: note['updated_at'] } : null;
  };
  return function serialize(resource, record, verbose) {
    const out: DrChronoRecord = { ...record };
    if (resource === 'clinical_notes') {
      const signee = out['signee'] && typeof out['signee'] === 'object' ? (out['signee'] as DrChronoRecord) : null;
      out['signee'] =
        out['locked'] === true
          ? { locked_by: out['doctor'] ?? null, locked_at: out['updated_at'] ?? null, ...signee }
          : null;
      delete out['locked'];
      return out;
    }
    if (verbose) {
      if (resource === 'appointments') out['clinical_note'] = noteSummaryFor(record);
      return out;
    }
    for (const key of drchronoVerboseOnlyFields[resource]) delete out[key];
    return out;
  };
}
