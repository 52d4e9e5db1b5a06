import { compareDecimal, parseDecimal } from './decimal.js';
import { parseReferenceRange, rangeUnit } from './reference-range.js';

// How worrying one DrChrono lab result is, for alerting and review lists. The lab's own flag wins; the reference range
// is only a fallback and never yields 'critical' (a critical threshold is a clinical decision the lab makes, not one
// we may derive from the width of a range).

export type LabSeverity = 'critical' | 'abnormal' | 'normal' | 'unknown';

/**
 * DrChrono's `abnormal_status` codes (HL7 v2 table 0078) and the severity each means. `<` and `>` are "off-scale"
 * in HL7 but "panic low/high" in DrChrono's schema: critical is the conservative reading. Microbiology (S, R, I),
 * qualitative (NEG, POS) and trend codes (U, D, B, W, MS, VS) say nothing about severity on their own: 'unknown'.
 * Any code not listed here is 'unknown' as well.
 */
export const abnormalFlagSeverity = {
  LL: 'critical',
  HH: 'critical',
  '<': 'critical',
  '>': 'critical',
  AA: 'critical',
  L: 'abnormal',
  H: 'abnormal',
  A: 'abnormal',
  N: 'normal',
  S: 'unknown',
  R: 'unknown',
  I: 'unknown',
  NEG: 'unknown',
  POS: 'unknown',
  U: 'unknown',
  D: 'unknown',
  B: 'unknown',
  W: 'unknown',
  MS: 'unknown',
  VS: 'unknown',
} as const satisfies Record<string, LabSeverity>;

export interface LabResultFacts {
  /** DrChrono `abnormal_status`; `''`/null = no flag. */
  readonly abnormalStatus: string | null;
  /** DrChrono `is_abnormal` (typed string in the schema; 'true'/'1'/'Y' or a boolean in practice). */
  readonly isAbnormal: string | boolean | null;
  readonly value: string | null;
  readonly valueIsNumeric: boolean | null;
  readonly unit: string | null;
  /** DrChrono `normal_range`, parsed by {@link parseReferenceRange}. */
  readonly normalRange: string | null;
}

export interface LabClassification {
  readonly severity: LabSeverity;
  /** What decided: the lab's flag (`abnormal_status`, or `is_abnormal`), the reference range, or nothing. */
  readonly basis: 'flag' | 'range' | 'none';
  /**
   * A code, safe to log — never the value, unit or range text: `flag:HH`, `flag:unrecognized`, `range:below_low`,
   * `range:above_high`, `range:within`, `is_abnormal`, `unit_mismatch`, `non_numeric_value`, `range:text`,
   * `range:empty`, `no_value`.
   */
  readonly reason: string;
}

const TRUTHY = new Set(['true', '1', 'y', 'yes', 't']);

function isTruthy(flag: string | boolean | null): boolean {
  if (typeof flag === 'boolean') return flag;
  return typeof flag === 'string' && TRUTHY.has(flag.trim().toLowerCase());
}

/** Units compared without case and whitespace ("mEq/L" = "meq / l"); nothing cleverer (mmol/L ≠ mEq/L here). */
const normaliseUnit = (unit: string): string => unit.replace(/\s+/g, '').toLowerCase();

/** The range's verdict on a numeric value, or the reason there is none. */
function byRange(facts: LabResultFacts): LabClassification {
  const value = parseDecimal(facts.value);
  if (value === null) {
    if (facts.valueIsNumeric === true) return { severity: 'unknown', basis: 'none', reason: 'non_numeric_value' };
    return { severity: 'unknown', basis: 'none', reason: facts.value?.trim() ? 'non_numeric_value' : 'no_value' };
  }
  const range = parseReferenceRange(facts.normalRange);
  if (range.kind === 'empty') return { severity: 'unknown', basis: 'none', reason: 'range:empty' };
  if (range.kind === 'text') return { severity: 'unknown', basis: 'none', reason: 'range:text' };
  const writtenUnit = rangeUnit(facts.normalRange);
  const resultUnit = facts.unit?.trim() ?? '';
  // A result without a unit cannot contradict the range's unit; only two stated, different units do.
  if (writtenUnit !== null && resultUnit !== '' && normaliseUnit(writtenUnit) !== normaliseUnit(resultUnit)) {
    return { severity: 'unknown', basis: 'none', reason: 'unit_mismatch' };
  }
  if (range.low !== null) {
    const c = compareDecimal(value, range.low);
    if (c < 0 || (c === 0 && !range.lowInclusive))
      return { severity: 'abnormal', basis: 'range', reason: 'range:below_low' };
  }
  if (range.high !== null) {
    const c = compareDecimal(value, range.high);
    if (c > 0 || (c === 0 && !range.highInclusive))
      return { severity: 'abnormal', basis: 'range', reason: 'range:above_high' };
  }
  return { severity: 'normal', basis: 'range', reason: 'range:within' };
}

/**
 * Classifies one lab result. Never throws, whatever the input.
 *
 * 1. `abnormal_status` (trimmed, case-insensitive) decides when set: see {@link abnormalFlagSeverity}; an unlisted
 *    code is 'unknown' (basis 'flag', reason `flag:unrecognized`).
 * 2. Without a flag, a value that parses as a decimal is compared with `normal_range`: outside → 'abnormal', inside →
 *    'normal' (never 'critical'). A unit written in the range that differs from the result's unit → 'unknown'
 *    (`unit_mismatch`); `value_is_numeric` true with a value that is not a decimal → 'unknown' (`non_numeric_value`).
 * 3. `is_abnormal` truthy ('true', '1', 'Y', true…) makes a result without a flag at least 'abnormal' (basis 'flag',
 *    reason `is_abnormal`) when the range did not already say abnormal — it is the lab's or doctor's own mark, so it
 *    also overrides a range verdict of 'normal' (the conservative choice).
 * 4. Otherwise 'unknown' with the range's reason (`range:text`, `range:empty`, `no_value`…).
 */
export function classifyLabResult(facts: LabResultFacts): LabClassification {
  const flag = typeof facts.abnormalStatus === 'string' ? facts.abnormalStatus.trim().toUpperCase() : '';
  if (flag !== '') {
    const severity: LabSeverity | undefined = Object.hasOwn(abnormalFlagSeverity, flag)
      ? abnormalFlagSeverity[flag as keyof typeof abnormalFlagSeverity]
      : undefined;
    return severity === undefined
      ? { severity: 'unknown', basis: 'flag', reason: 'flag:unrecognized' }
      : { severity, basis: 'flag', reason: `flag:${flag}` };
  }
  const range = byRange(facts);
  if (range.severity === 'abnormal') return range;
  if (isTruthy(facts.isAbnormal)) return { severity: 'abnormal', basis: 'flag', reason: 'is_abnormal' };
  return range;
}
