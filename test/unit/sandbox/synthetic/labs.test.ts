import { describe, expect, it } from 'vitest';
import {
  createLabGenerator,
  createSyntheticDataset,
  ID_BASE,
  syntheticLabPhiValues,
  syntheticPhiValues,
} from '../../../../sandbox/synthetic/index.js';
import type { DrChronoRecord, LabResource } from '../../../../sandbox/synthetic/index.js';
import { classifyLabResult } from '../../../../sync/labs/index.js';

const dataset = createSyntheticDataset({ patientCount: 1500, seed: 3 });
const labs = createLabGenerator(dataset);
const records = (resource: LabResource): DrChronoRecord[] => {
  const out: DrChronoRecord[] = [];
  for (let slot = 0; slot < labs.slotCount(resource); slot += 1) {
    const record = labs.record(resource, slot);
    if (record) out.push(record);
  }
  return out;
};
const orders = records('lab_orders');
const tests = records('lab_tests');
const results = records('lab_results');
const tally = (rows: DrChronoRecord[], key: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const row of rows) out[String(row[key])] = (out[String(row[key])] ?? 0) + 1;
  return out;
};

describe('synthetic labs', () => {
  it('belong to the dataset’s patients and their doctors', () => {
    for (const order of orders.slice(0, 200)) {
      const patient = dataset.patient((order['patient'] as number) - ID_BASE.patients);
      expect(order['patient']).toBe(patient['id']);
      expect(order['doctor']).toBe(patient['doctor']);
    }
    expect(orders.length / dataset.patientCount).toBeGreaterThan(0.3);
    expect(orders.length / dataset.patientCount).toBeLessThan(0.5);
  });

  it('answers present() exactly when record() builds a record, and is a pure function of (seed, slot)', () => {
    const again = createLabGenerator(createSyntheticDataset({ patientCount: 1500, seed: 3 }));
    for (const resource of ['lab_orders', 'lab_tests', 'lab_results'] as const) {
      for (let slot = 0; slot < 600; slot += 1) {
        expect(labs.present(resource, slot)).toBe(labs.record(resource, slot) !== null);
        expect(again.record(resource, slot)).toEqual(labs.record(resource, slot));
      }
    }
  });

  it('covers DrChrono’s order, test and result statuses and flags, including unflagged out-of-range values', () => {
    expect(Object.keys(tally(orders, 'status')).sort()).toEqual(['A', 'E', 'N', 'Q', 'R', 'S']);
    expect(Object.keys(tally(orders, 'priority')).sort()).toEqual(['N', 'S']);
    expect(Object.keys(tally(tests, 'status')).sort()).toEqual(['C', 'F', 'I', 'P', 'X']);
    expect(Object.keys(tally(results, 'status')).sort()).toEqual(['C', 'F', 'P', 'X']);
    const flags = tally(results, 'abnormal_status');
    for (const flag of ['', 'N', 'L', 'H', 'LL', 'HH', '<', '>', 'NEG', 'POS']) expect(flags[flag]).toBeGreaterThan(0);
    const ranges = new Set(results.map((r) => r['normal_range']));
    for (const range of ['0.6 1.2', '0.6-1.2 mEq/L', '<200', '>39', 'negative', '0.4 4.0'])
      expect(ranges).toContain(range);
    expect(results.some((r) => r['observation_code'] === '751-8' && r['abnormal_status'] === 'LL')).toBe(true);
    expect(results.some((r) => r['observation_code'] === '14334-7' && r['abnormal_status'] === 'HH')).toBe(true);
  });

  it('flags agree with the values: every generated result classifies as its is_abnormal says', () => {
    const seen = new Set<string>();
    for (const r of results) {
      const out = classifyLabResult({
        abnormalStatus: r['abnormal_status'] as string,
        isAbnormal: r['is_abnormal'] as string,
        value: r['value'] as string,
        valueIsNumeric: r['value_is_numeric'] as boolean,
        unit: r['unit'] as string,
        normalRange: r['normal_range'] as string,
      });
      seen.add(`${out.severity}/${out.basis}/${out.reason.split(':')[0]!}`);
      if (r['is_abnormal'] === 'true' && r['abnormal_status'] !== 'POS')
        expect(['abnormal', 'critical'], JSON.stringify(r)).toContain(out.severity);
      if (r['is_abnormal'] === 'false') expect(['normal', 'unknown'], JSON.stringify(r)).toContain(out.severity);
      if (['LL', 'HH', '<', '>'].includes(r['abnormal_status'] as string)) expect(out.severity).toBe('critical');
    }
    // The classifier's paths all occur: flags, range-only abnormal and normal, unit mismatch, cancelled (no value).
    for (const path of [
      'critical/flag/flag',
      'abnormal/range/range',
      'normal/range/range',
      'unknown/none/unit_mismatch',
    ])
      expect(seen).toContain(path);
    expect(seen).toContain('unknown/none/no_value');
  });

  it('adds lab notes and comments to the patient’s PHI values', () => {
    const index = (orders.find((o) => o['notes'] !== '')!['patient'] as number) - ID_BASE.patients;
    const lab = syntheticLabPhiValues(dataset, index);
    expect(lab.length).toBeGreaterThan(1);
    const phi = syntheticPhiValues(dataset, index);
    for (const text of lab) expect(phi).toContain(text);
    expect(lab.every((text) => text.includes(`test patient ${ID_BASE.patients + index}`))).toBe(true);
  });
});
