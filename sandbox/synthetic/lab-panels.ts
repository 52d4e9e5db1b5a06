// The lab panels a psychiatric practice orders, for the synthetic lab generator (labs.ts). Reference ranges are the
// usual adult ones; observation codes are LOINC. Every value is clearly synthetic: no real patient's results.

/** One measured analyte of a panel (one DrChrono lab result). */
export interface Analyte {
  /** `observation_description`. */
  readonly name: string;
  /** LOINC code, served as `observation_code`. */
  readonly loinc: string;
  readonly unit: string;
  /** Fraction digits of generated values. */
  readonly decimals: number;
  /** Lowest and highest normal value as decimal text; bounds of the generated normal values. */
  readonly low: string;
  readonly high: string;
  /**
   * `normal_range` text. Default: DrChrono's `"<low> <high>"`. One-sided ranges ("<200", ">39") are how labs report
   * lipids and HbA1c; DrChrono's POST validation would reject them for numeric values, but imported results carry them.
   */
  readonly range?: string;
  /** Values below this are critical (flag LL), above `criticalHigh` critical (flag HH or `>`). */
  readonly criticalLow?: string;
  readonly criticalHigh?: string;
  /** Qualitative result ("negative"/"positive") instead of a number. */
  readonly qualitative?: boolean;
}

/** One orderable test (one DrChrono lab test) and the results it produces (at most 4, the result slots per test). */
export interface Panel {
  /** Test `name` and results' `test_performed`. */
  readonly name: string;
  /** Test `code` and results' `group_code` (the panel's LOINC code). */
  readonly code: string;
  readonly specimen: 'Serum' | 'Whole blood' | 'Urine';
  /** Millilitres drawn, `specimen_total_volume`. */
  readonly volume: number;
  /** Why the lab needs to know something (`internal_notes`). */
  readonly labInstruction: string;
  readonly analytes: readonly Analyte[];
}

const LITHIUM: Panel = {
  name: 'Lithium, serum',
  code: '14334-7',
  specimen: 'Serum',
  volume: 3.5,
  labInstruction: '12-hour trough level',
  analytes: [
    { name: 'Lithium', loinc: '14334-7', unit: 'mEq/L', decimals: 1, low: '0.6', high: '1.2', criticalHigh: '1.5' },
  ],
};

const VALPROATE: Panel = {
  name: 'Valproic acid, total',
  code: '4086-2',
  specimen: 'Serum',
  volume: 3.5,
  labInstruction: 'trough level, draw before morning dose',
  analytes: [
    { name: 'Valproic acid', loinc: '4086-2', unit: 'ug/mL', decimals: 0, low: '50', high: '100', criticalHigh: '150' },
  ],
};

const CLOZAPINE: Panel = {
  name: 'Clozapine level',
  code: '6896-2',
  specimen: 'Serum',
  volume: 3,
  labInstruction: 'trough level, 12 hours after last dose',
  analytes: [
    { name: 'Clozapine', loinc: '6896-2', unit: 'ng/mL', decimals: 0, low: '350', high: '600', criticalHigh: '1000' },
  ],
};

const CBC: Panel = {
  name: 'CBC with differential',
  code: '57021-8',
  specimen: 'Whole blood',
  volume: 3,
  labInstruction: 'clozapine REMS monitoring, report ANC',
  analytes: [
    {
      name: 'Absolute neutrophil count (ANC)',
      loinc: '751-8',
      unit: '/uL',
      decimals: 0,
      low: '1500',
      high: '8000',
      criticalLow: '1000',
    },
    { name: 'WBC', loinc: '6690-2', unit: 'x10^3/uL', decimals: 1, low: '4.0', high: '11.0', criticalLow: '2.0' },
    { name: 'Hemoglobin', loinc: '718-7', unit: 'g/dL', decimals: 1, low: '12.0', high: '17.5', criticalLow: '7.0' },
    { name: 'Platelets', loinc: '777-3', unit: 'x10^3/uL', decimals: 0, low: '150', high: '400', criticalLow: '50' },
  ],
};

const METABOLIC: Panel = {
  name: 'Comprehensive metabolic panel',
  code: '24323-8',
  specimen: 'Serum',
  volume: 5,
  labInstruction: 'fasting specimen',
  analytes: [
    {
      name: 'Glucose',
      loinc: '2345-7',
      unit: 'mg/dL',
      decimals: 0,
      low: '70',
      high: '99',
      criticalLow: '50',
      criticalHigh: '400',
    },
    { name: 'ALT', loinc: '1742-6', unit: 'U/L', decimals: 0, low: '7', high: '56' },
    { name: 'AST', loinc: '1920-8', unit: 'U/L', decimals: 0, low: '10', high: '40' },
    { name: 'Creatinine', loinc: '2160-0', unit: 'mg/dL', decimals: 2, low: '0.60', high: '1.20' },
  ],
};

const LIPIDS: Panel = {
  name: 'Lipid panel',
  code: '57698-3',
  specimen: 'Serum',
  volume: 5,
  labInstruction: 'fasting 9-12 hours',
  analytes: [
    { name: 'Cholesterol, total', loinc: '2093-3', unit: 'mg/dL', decimals: 0, low: '120', high: '199', range: '<200' },
    { name: 'HDL cholesterol', loinc: '2085-9', unit: 'mg/dL', decimals: 0, low: '40', high: '80', range: '>39' },
    {
      name: 'LDL cholesterol (calc)',
      loinc: '13457-7',
      unit: 'mg/dL',
      decimals: 0,
      low: '50',
      high: '99',
      range: '<100',
    },
    { name: 'Triglycerides', loinc: '2571-8', unit: 'mg/dL', decimals: 0, low: '50', high: '149', range: '<150' },
  ],
};

const HBA1C: Panel = {
  name: 'Hemoglobin A1c',
  code: '4548-4',
  specimen: 'Whole blood',
  volume: 2,
  labInstruction: 'antipsychotic metabolic monitoring',
  analytes: [
    { name: 'Hemoglobin A1c', loinc: '4548-4', unit: '%', decimals: 1, low: '4.8', high: '5.6', range: '<5.7' },
  ],
};

const TSH: Panel = {
  name: 'TSH',
  code: '3016-3',
  specimen: 'Serum',
  volume: 2,
  labInstruction: 'no special handling',
  analytes: [{ name: 'TSH', loinc: '3016-3', unit: 'mIU/L', decimals: 2, low: '0.4', high: '4.0' }],
};

const HCG: Panel = {
  name: 'hCG, urine, qualitative',
  code: '2106-3',
  specimen: 'Urine',
  volume: 10,
  labInstruction: 'before starting valproate',
  analytes: [
    {
      name: 'Pregnancy test, urine',
      loinc: '2106-3',
      unit: '',
      decimals: 0,
      low: '0',
      high: '0',
      range: 'negative',
      qualitative: true,
    },
  ],
};

/** A reason to order labs: the tests (at most 3, the test slots per order) and the diagnosis on the order. */
export interface LabProfile {
  readonly panels: readonly Panel[];
  readonly icd10: { readonly code: string; readonly description: string };
  /** Relative frequency among orders. */
  readonly weight: number;
}

export const LAB_PROFILES: readonly LabProfile[] = [
  { panels: [LITHIUM, METABOLIC, TSH], icd10: { code: 'F31.81', description: 'Bipolar II disorder' }, weight: 3 },
  { panels: [VALPROATE, CBC, METABOLIC], icd10: { code: 'F31.81', description: 'Bipolar II disorder' }, weight: 2 },
  { panels: [CBC, CLOZAPINE], icd10: { code: 'F20.9', description: 'Schizophrenia, unspecified' }, weight: 2 },
  {
    panels: [LIPIDS, HBA1C, METABOLIC],
    icd10: { code: 'Z79.899', description: 'Other long term (current) drug therapy' },
    weight: 3,
  },
  {
    panels: [HCG, TSH, CBC],
    icd10: { code: 'F32.1', description: 'Major depressive disorder, single episode, moderate' },
    weight: 1,
  },
  { panels: [LITHIUM], icd10: { code: 'F31.81', description: 'Bipolar II disorder' }, weight: 2 },
];
