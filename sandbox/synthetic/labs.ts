import { formatTimestamp } from './calendar.js';
import type { DrChronoRecord, SyntheticDataset } from './dataset.js';
import { LAB_PROFILES } from './lab-panels.js';
import type { Analyte, LabProfile, Panel } from './lab-panels.js';
import { ownerDoctorIndex } from './owners.js';
import { RecordRandom, hash32 } from './prng.js';
import { NOTE_PHRASES } from './vocab.js';

/**
 * Synthetic DrChrono lab orders, tests and results (`/api/lab_orders`, `/api/lab_tests`, `/api/lab_results`) for a
 * dataset, like dataset.ts: every record is a pure function of (seed, slot) and nothing is held in memory. Slots nest:
 * patient index i owns order slot i (present for ~40% of patients); order slot o owns test slots 3o..3o+2 (its
 * profile's panels); test slot t owns result slots 4t..4t+3 (its panel's analytes, only once the order has results).
 * So a record's parents are slot arithmetic away, and `order=` filters read 3 or 12 slots.
 */

export type LabResource = 'lab_orders' | 'lab_tests' | 'lab_results';

export const LAB_ID_BASE = {
  lab_orders: 60_000_000,
  lab_tests: 70_000_000,
  lab_results: 80_000_000,
  /** Referenced by orders' `documents` and results' `document`; the sandbox does not serve `/api/lab_documents`. */
  lab_documents: 90_000_000,
} as const;

/** Child slots per parent slot: tests per order, results per test (orders: one slot per patient). */
export const LAB_SLOTS_PER_PARENT = { lab_tests: 3, lab_results: 4 } as const;

/** Share of patients with a lab order, in percent. */
const ORDER_PERCENT = 40;
const STREAM = { lab_orders: 21, lab_tests: 22, lab_results: 23, shape: 24 } as const;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** DrChrono's order statuses (HL7 ORC-5) with their share of orders; only `R` orders have results. */
const ORDER_STATUSES = [
  'R',
  'R',
  'R',
  'R',
  'R',
  'R',
  'R',
  'R',
  'R',
  'R',
  'R',
  'R',
  'S',
  'S',
  'S',
  'N',
  'N',
  'Q',
  'A',
  'E',
];

export interface LabGenerator {
  /** Generated slots: orders = patientCount, tests = 3 × that, results = 4 × tests. */
  slotCount(resource: LabResource): number;
  /** Whether a slot holds a record, without building it. */
  present(resource: LabResource, slot: number): boolean;
  /**
   * The record in a slot, or null when empty. `force` fills any slot, also beyond the generated range (templates
   * for records created later). Orders carry a hidden `_modified` (see sandbox/drchrono/lab-store.ts).
   */
  record(resource: LabResource, slot: number, force?: boolean): DrChronoRecord | null;
}

/** Decimal text → integer in units of 10^-decimals ('0.6', 1 → 6). Only for the non-negative bounds in lab-panels.ts. */
function toScaled(text: string, decimals: number): number {
  const [whole = '0', fraction = ''] = text.split('.');
  return Number(whole) * 10 ** decimals + Number(fraction.padEnd(decimals, '0').slice(0, decimals) || '0');
}

/** Integer in units of 10^-decimals → decimal text (6, 1 → '0.6'); exact, no float formatting. */
function fromScaled(n: number, decimals: number): string {
  if (decimals === 0) return String(n);
  const digits = String(n).padStart(decimals + 1, '0');
  return `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}

interface GeneratedValue {
  readonly value: string;
  readonly flag: string;
  readonly abnormal: boolean;
}

/**
 * A value for an analyte: mostly normal, some low/high (flagged L/H, or unflagged so that only the range tells), a few
 * critical (always flagged LL/`<` or HH/`>`, as labs call panic values). One-sided ranges only go wrong on their side.
 */
function analyteValue(a: Analyte, r: RecordRandom): GeneratedValue {
  if (a.qualitative) {
    const positive = r.chance(0.05);
    return positive
      ? { value: 'positive', flag: 'POS', abnormal: true }
      : { value: 'negative', flag: r.chance(0.5) ? 'NEG' : '', abnormal: false };
  }
  const d = a.decimals;
  const lo = toScaled(a.low, d);
  const hi = toScaled(a.high, d);
  const half = Math.max(1, Math.floor((hi - lo) / 2));
  const canBeLow = !a.range?.startsWith('<');
  const canBeHigh = !a.range?.startsWith('>');
  const roll = r.int(100);
  const unflagged = r.chance(0.3);
  if (roll < 6 && a.criticalLow !== undefined) {
    const cl = toScaled(a.criticalLow, d);
    return {
      value: fromScaled(r.range(Math.floor(cl / 2), cl - 1), d),
      flag: r.chance(0.75) ? 'LL' : '<',
      abnormal: true,
    };
  }
  if (roll >= 6 && roll < 12 && a.criticalHigh !== undefined) {
    const ch = toScaled(a.criticalHigh, d);
    return { value: fromScaled(r.range(ch + 1, ch + 2 * half), d), flag: r.chance(0.75) ? 'HH' : '>', abnormal: true };
  }
  if (roll >= 12 && roll < 24 && canBeHigh) {
    const cap = a.criticalHigh === undefined ? hi + half : Math.min(hi + half, toScaled(a.criticalHigh, d));
    return { value: fromScaled(r.range(hi + 1, Math.max(hi + 1, cap)), d), flag: unflagged ? '' : 'H', abnormal: true };
  }
  if (roll >= 24 && roll < 32 && canBeLow && lo > 0) {
    const floor =
      a.criticalLow === undefined ? Math.max(0, lo - half) : Math.max(lo - half, toScaled(a.criticalLow, d));
    return { value: fromScaled(r.range(floor, lo - 1), d), flag: unflagged ? '' : 'L', abnormal: true };
  }
  return { value: fromScaled(r.range(lo, hi), d), flag: r.chance(0.4) ? 'N' : '', abnormal: false };
}

/** `normal_range` and `unit` for an analyte: DrChrono's form, or the lab's own text for a few lithium results. */
function rangeAndUnit(a: Analyte, r: RecordRandom): { normalRange: string; unit: string } {
  const normalRange = a.range ?? `${a.low} ${a.high}`;
  if (a.loinc !== '14334-7') return { normalRange, unit: a.unit };
  const roll = r.int(100);
  // Lithium is reported in mmol/L by some labs (numerically equal to mEq/L); a range written in the other unit is
  // the "units differ" case a classifier must not compare.
  if (roll < 15) return { normalRange: `${a.low}-${a.high} mEq/L`, unit: 'mmol/L' };
  if (roll < 25) return { normalRange: `${a.low}-${a.high} mEq/L`, unit: a.unit };
  return { normalRange, unit: a.unit };
}

const noteText = (kind: string, id: number, patientId: number, phrase: number): string =>
  `Synthetic lab ${kind} ${id} for test patient ${patientId}: ${NOTE_PHRASES[phrase % NOTE_PHRASES.length]}.`;

/**
 * The lab generator of a dataset (same seed, patients and doctors).
 * @example createLabGenerator(dataset).record('lab_orders', 12) // order of patient index 12, or null
 */
export function createLabGenerator(dataset: SyntheticDataset): LabGenerator {
  const { seed, patientCount, doctorCount, epochMs } = dataset;
  const profileWeights = LAB_PROFILES.reduce((sum, p) => sum + p.weight, 0);
  const clampToEpoch = (ms: number): number => (ms > epochMs ? epochMs : ms);

  const orderPresent = (o: number): boolean =>
    o >= 0 && o < patientCount && hash32(seed, STREAM.shape, o, 1) % 100 < ORDER_PERCENT;
  const profileOf = (o: number): LabProfile => {
    let pick = hash32(seed, STREAM.shape, o, 2) % profileWeights;
    for (const profile of LAB_PROFILES) {
      if (pick < profile.weight) return profile;
      pick -= profile.weight;
    }
    return LAB_PROFILES[0]!;
  };
  const orderStatusOf = (o: number): string =>
    ORDER_STATUSES[hash32(seed, STREAM.shape, o, 3) % ORDER_STATUSES.length]!;
  const panelOf = (t: number): Panel | undefined =>
    profileOf(Math.floor(t / LAB_SLOTS_PER_PARENT.lab_tests)).panels[t % LAB_SLOTS_PER_PARENT.lab_tests];
  /** A test's status, from its order's: results received → mostly final, some corrected/preliminary/cancelled. */
  const testStatusOf = (t: number): string => {
    const orderStatus = orderStatusOf(Math.floor(t / LAB_SLOTS_PER_PARENT.lab_tests));
    if (orderStatus === 'S') return 'I';
    if (orderStatus !== 'R') return 'P';
    const roll = hash32(seed, STREAM.shape, t, 4) % 100;
    return roll < 75 ? 'F' : roll < 85 ? 'C' : roll < 95 ? 'P' : 'X';
  };
  const testPresent = (t: number): boolean => {
    const o = Math.floor(t / LAB_SLOTS_PER_PARENT.lab_tests);
    return orderPresent(o) && panelOf(t) !== undefined;
  };
  const resultPresent = (s: number): boolean => {
    const t = Math.floor(s / LAB_SLOTS_PER_PARENT.lab_results);
    if (!testPresent(t)) return false;
    if (orderStatusOf(Math.floor(t / LAB_SLOTS_PER_PARENT.lab_tests)) !== 'R') return false;
    return s % LAB_SLOTS_PER_PARENT.lab_results < panelOf(t)!.analytes.length;
  };

  /** Order facts shared by the order and its tests and results. */
  const orderCore = (o: number) => {
    const r = new RecordRandom(seed, STREAM.lab_orders, o);
    // ID_BASE.patients and ID_BASE.doctors, written out: dataset.ts imports this file (PHI values), and importing it
    // back would make a cycle. test/unit/sandbox/synthetic/labs.test.ts checks they match.
    const patientId = 1_000_000 + o; // order slot = patient index
    const doctorId = 200 + (o < patientCount ? ownerDoctorIndex(seed, o, doctorCount) : 0);
    const dayMs = Math.floor(epochMs / DAY_MS) * DAY_MS - (1 + r.int(364)) * DAY_MS;
    const submittedMs = dayMs + (8 + r.int(9)) * HOUR_MS + r.int(3600) * 1000;
    return { r, patientId, doctorId, submittedMs, status: orderStatusOf(o), profile: profileOf(o) };
  };

  const order = (o: number): DrChronoRecord => {
    const { r, patientId, doctorId, submittedMs, status, profile } = orderCore(o);
    const id = LAB_ID_BASE.lab_orders + o;
    const resulted = status === 'R';
    const modifiedMs = clampToEpoch(
      resulted ? submittedMs + (1 + r.int(3)) * DAY_MS : submittedMs + r.int(4) * HOUR_MS,
    );
    return {
      id,
      patient: patientId,
      doctor: doctorId,
      sublab: 900 + r.int(2),
      status,
      priority: r.chance(0.1) ? 'S' : 'N',
      icd10_codes: [{ ...profile.icd10 }],
      requisition_id: String(id),
      external_requisition_id: r.chance(0.3) ? `EXT-${r.digits(7)}` : '',
      accession_number: resulted || status === 'S' ? `A${r.digits(9)}` : '',
      notes: r.chance(0.6) ? noteText('order note', id, patientId, r.next()) : '',
      timestamp: formatTimestamp(submittedMs),
      documents: resulted ? [String(LAB_ID_BASE.lab_documents + o)] : [],
      // Not serialized: DrChrono's own modification time, which `since` compares with (lab-store.ts).
      _modified: formatTimestamp(modifiedMs),
    };
  };

  const test = (t: number): DrChronoRecord => {
    const o = Math.floor(t / LAB_SLOTS_PER_PARENT.lab_tests);
    const { patientId, submittedMs, profile } = orderCore(o);
    const panel = panelOf(t) ?? profile.panels[t % profile.panels.length]!;
    const r = new RecordRandom(seed, STREAM.lab_tests, t);
    const id = LAB_ID_BASE.lab_tests + t;
    const status = testStatusOf(t);
    return {
      id,
      lab_order: LAB_ID_BASE.lab_orders + o,
      name: panel.name,
      code: panel.code,
      // The schema describes `description` as the short description of the ICD-10 code.
      description: profile.icd10.description,
      status,
      collection_date: formatTimestamp(submittedMs + r.int(120) * 60_000),
      specimen_source: panel.specimen,
      specimen_condition: status === 'X' ? 'Hemolyzed' : 'Satisfactory',
      specimen_total_volume: panel.volume,
      internal_notes: `${panel.labInstruction}. ${noteText('test note', id, patientId, r.next())}`,
      report_notes: r.chance(0.4) ? noteText('report note', id, patientId, r.next()) : '',
    };
  };

  const result = (s: number): DrChronoRecord => {
    const t = Math.floor(s / LAB_SLOTS_PER_PARENT.lab_results);
    const o = Math.floor(t / LAB_SLOTS_PER_PARENT.lab_tests);
    const { patientId, submittedMs, profile } = orderCore(o);
    const panel = panelOf(t) ?? profile.panels[t % profile.panels.length]!;
    const analyte = panel.analytes[s % LAB_SLOTS_PER_PARENT.lab_results] ?? panel.analytes[0]!;
    const r = new RecordRandom(seed, STREAM.lab_results, s);
    const id = LAB_ID_BASE.lab_results + s;
    const status = testStatusOf(t);
    const { normalRange, unit } = rangeAndUnit(analyte, r);
    const cancelled = status === 'X';
    const v = cancelled ? { value: '', flag: '', abnormal: false } : analyteValue(analyte, r);
    const comments = cancelled
      ? 'Test cancelled by the lab: specimen hemolyzed.'
      : status === 'C'
        ? `Corrected report. ${noteText('result comment', id, patientId, r.next())}`
        : r.chance(0.3)
          ? noteText('result comment', id, patientId, r.next())
          : '';
    return {
      id,
      lab_test: LAB_ID_BASE.lab_tests + t,
      // The schema types a result's `lab_order` as a read-only string (its `lab_test` is an integer).
      lab_order: String(LAB_ID_BASE.lab_orders + o),
      document: LAB_ID_BASE.lab_documents + o,
      test_performed: panel.name,
      observation_code: analyte.loinc,
      observation_description: analyte.name,
      group_code: panel.code,
      value: v.value,
      value_is_numeric: !analyte.qualitative && !cancelled,
      unit,
      normal_range: normalRange,
      abnormal_status: v.flag,
      is_abnormal: v.abnormal ? 'true' : 'false',
      status,
      specimen_received: formatTimestamp(clampToEpoch(submittedMs + (2 + r.int(6)) * HOUR_MS)),
      comments,
    };
  };

  const present = (resource: LabResource, slot: number): boolean =>
    resource === 'lab_orders' ? orderPresent(slot) : resource === 'lab_tests' ? testPresent(slot) : resultPresent(slot);
  const builders = { lab_orders: order, lab_tests: test, lab_results: result };

  return {
    slotCount: (resource) =>
      resource === 'lab_orders'
        ? patientCount
        : resource === 'lab_tests'
          ? patientCount * LAB_SLOTS_PER_PARENT.lab_tests
          : patientCount * LAB_SLOTS_PER_PARENT.lab_tests * LAB_SLOTS_PER_PARENT.lab_results,
    present,
    record: (resource, slot, force = false) =>
      slot >= 0 && (force || present(resource, slot)) ? builders[resource](slot) : null,
  };
}

/** Free text of one patient's generated lab records (order notes, test notes, result comments), for PHI scans. */
export function syntheticLabPhiValues(dataset: SyntheticDataset, patientIndex: number): string[] {
  const labs = createLabGenerator(dataset);
  const order = labs.record('lab_orders', patientIndex);
  if (!order) return [];
  const out = [order['notes']];
  const tests = LAB_SLOTS_PER_PARENT.lab_tests;
  const results = LAB_SLOTS_PER_PARENT.lab_results;
  for (let t = patientIndex * tests; t < (patientIndex + 1) * tests; t += 1) {
    const test = labs.record('lab_tests', t);
    if (!test) continue;
    out.push(test['internal_notes'], test['report_notes']);
    for (let s = t * results; s < (t + 1) * results; s += 1) out.push(labs.record('lab_results', s)?.['comments']);
  }
  // Only text that names the patient: generic lines ("Test cancelled by the lab…") are not PHI and would match anyone.
  const patientId = String(order['patient']);
  return out.filter((v): v is string => typeof v === 'string' && v.includes(patientId));
}
