import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSyntheticDataset, SLOTS_PER_PATIENT, type ChildResource } from '../../../../sandbox/synthetic/index.js';

/**
 * Every record of two small datasets (doctors, patients, templates past `patientCount`, every child slot present or
 * forced) hashed together. The digests were computed on the generator before it was refactored from a switch to a
 * table, so any change in output — a field, its order or a drawn random number — fails here.
 */
function digest(seed: number, patientCount: number, epochMs?: number): string {
  const ds = createSyntheticDataset({
    seed,
    patientCount,
    doctorCount: 4,
    ...(epochMs === undefined ? {} : { epochMs }),
  });
  const hash = createHash('sha256');
  const add = (value: unknown): void => void hash.update(`${JSON.stringify(value)}\n`);
  for (let i = 0; i < ds.doctorCount; i += 1) add(ds.doctor(i));
  for (let i = 0; i < patientCount + 3; i += 1) add(ds.patient(i));
  for (const resource of Object.keys(SLOTS_PER_PATIENT) as ChildResource[]) {
    for (let slot = 0; slot < (patientCount + 2) * SLOTS_PER_PATIENT[resource]; slot += 1) {
      add([resource, slot, ds.childPresent(resource, slot), ds.child(resource, slot), ds.child(resource, slot, true)]);
    }
  }
  return hash.digest('hex');
}

describe('synthetic dataset output', () => {
  it('stays byte-for-byte what the generator produced before its refactor', () => {
    expect(digest(1, 120)).toBe('a2417d8211d991b5b30a200397bdb5cb1842a1e990548310839d3cfd28cff57c');
    expect(digest(77, 60, Date.UTC(2025, 6, 15, 13, 30))).toBe(
      '4a5f7289a1ccb1498519306b7abc6a798c4666620bb00014aa1c895bedfdbafc',
    );
  });
});
