import { describe, expect, it } from 'vitest';
import {
  createSyntheticDataset,
  syntheticPhiValues,
  SLOTS_PER_PATIENT,
  formatDate,
  formatTimestamp,
} from '../../../../sandbox/synthetic/index.js';

describe('createSyntheticDataset', () => {
  it('produces identical records for the same seed and different ones for another seed', () => {
    const a = createSyntheticDataset({ seed: 42, patientCount: 100 });
    const b = createSyntheticDataset({ seed: 42, patientCount: 100 });
    const c = createSyntheticDataset({ seed: 43, patientCount: 100 });
    for (const i of [0, 7, 99]) {
      expect(JSON.stringify(a.patient(i))).toBe(JSON.stringify(b.patient(i)));
      for (let k = 0; k < SLOTS_PER_PATIENT.appointments; k += 1) {
        const slot = i * SLOTS_PER_PATIENT.appointments + k;
        expect(JSON.stringify(a.child('appointments', slot))).toBe(JSON.stringify(b.child('appointments', slot)));
      }
    }
    const differing = [0, 1, 2, 3, 4].filter((i) => JSON.stringify(a.patient(i)) !== JSON.stringify(c.patient(i)));
    expect(differing.length).toBeGreaterThan(3);
  });

  it('generates a record as a pure function of its index, regardless of what was generated before', () => {
    const fresh = createSyntheticDataset({ seed: 9, patientCount: 1_000_000 });
    const warmed = createSyntheticDataset({ seed: 9, patientCount: 1_000_000 });
    for (let i = 0; i < 50; i += 1) warmed.patient(i);
    expect(warmed.patient(999_999)).toEqual(fresh.patient(999_999));
    expect(fresh.patient(999_999)['id']).toBe(1_999_999);
  });

  it('makes people that are clearly fake', () => {
    const ds = createSyntheticDataset({ seed: 3, patientCount: 200 });
    for (let i = 0; i < 200; i += 1) {
      const p = ds.patient(i);
      expect(p['last_name']).toMatch(/^Testperson-/);
      expect(p['email']).toMatch(/@example\.invalid$/);
      expect(p['home_phone']).toMatch(/^\(\d{3}\) 555-01\d{2}$/);
      expect(p['cell_phone']).toMatch(/^\(\d{3}\) 555-01\d{2}$/);
    }
  });

  it('gives each patient a few appointments, notes (mostly locked), medications, problems and allergies', () => {
    const ds = createSyntheticDataset({ seed: 5, patientCount: 300 });
    const count = (resource: keyof typeof SLOTS_PER_PATIENT): number => {
      let n = 0;
      for (let s = 0; s < ds.slotCount(resource); s += 1) if (ds.child(resource, s)) n += 1;
      return n;
    };
    expect(count('appointments') / 300).toBeGreaterThan(1.5);
    expect(count('problems') / 300).toBeGreaterThanOrEqual(1);
    expect(count('medications')).toBeGreaterThan(100);
    expect(count('allergies')).toBeGreaterThan(50);
    let notes = 0;
    let locked = 0;
    for (let s = 0; s < ds.slotCount('clinical_notes'); s += 1) {
      const note = ds.child('clinical_notes', s);
      if (!note) continue;
      notes += 1;
      if (note['locked']) locked += 1;
      const appointment = ds.child('appointments', s);
      expect(appointment?.['id']).toBe(note['appointment']);
      expect(appointment?.['patient']).toBe(note['patient']);
    }
    expect(notes).toBeGreaterThan(200);
    expect(locked / notes).toBeGreaterThan(0.7);
  });

  it('keeps every generated updated_at at or before the dataset epoch', () => {
    const ds = createSyntheticDataset({ seed: 11, patientCount: 100 });
    for (let i = 0; i < 100; i += 1) expect(String(ds.patient(i)['updated_at']) <= ds.epochTimestamp).toBe(true);
    for (const resource of ['appointments', 'clinical_notes', 'medications', 'problems', 'allergies'] as const) {
      for (let s = 0; s < ds.slotCount(resource); s += 1) {
        const r = ds.child(resource, s);
        if (r) expect(String(r['updated_at']) <= ds.epochTimestamp).toBe(true);
      }
    }
  });

  it('renders appointment ids as strings, some of them not numeric like recurring instances', () => {
    const ds = createSyntheticDataset({ seed: 1, patientCount: 200 });
    const ids: string[] = [];
    for (let s = 0; s < ds.slotCount('appointments'); s += 1) {
      const a = ds.child('appointments', s);
      if (a) ids.push(a['id'] as string);
    }
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(ids.some((id) => !/^\d+$/.test(id))).toBe(true);
  });

  it('rejects a patient count outside 0..1,000,000', () => {
    expect(() => createSyntheticDataset({ patientCount: 1_000_001 })).toThrow(/patientCount/);
    expect(() => createSyntheticDataset({ patientCount: -1 })).toThrow(/patientCount/);
  });

  it('lists a patient’s synthetic PHI values including note text', () => {
    const ds = createSyntheticDataset({ seed: 2, patientCount: 50 });
    let index = 0;
    while (![0, 1, 2, 3].some((k) => ds.child('clinical_notes', index * 4 + k))) index += 1;
    const p = ds.patient(index);
    const phi = syntheticPhiValues(ds, index);
    for (const key of ['first_name', 'last_name', 'date_of_birth', 'email', 'home_phone', 'cell_phone'])
      expect(phi).toContain(p[key]);
    expect(phi.some((v) => v.startsWith('Synthetic note'))).toBe(true);
  });

  it('formats timestamps without a zone and dates as YYYY-MM-DD exactly like toISOString', () => {
    for (const ms of [
      0,
      Date.UTC(2026, 2, 4, 10, 15, 0),
      Date.UTC(1999, 11, 31, 23, 59, 59),
      Date.UTC(2024, 1, 29, 1, 2, 3),
    ]) {
      expect(formatTimestamp(ms)).toBe(new Date(ms).toISOString().slice(0, 19));
      expect(formatDate(ms)).toBe(new Date(ms).toISOString().slice(0, 10));
    }
  });
});
