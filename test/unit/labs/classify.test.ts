import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { abnormalFlagSeverity, classifyLabResult } from '../../../sync/labs/classify.js';
import type { LabResultFacts } from '../../../sync/labs/classify.js';

const facts = (overrides: Partial<LabResultFacts>): LabResultFacts => ({
  abnormalStatus: '',
  isAbnormal: 'false',
  value: null,
  valueIsNumeric: true,
  unit: null,
  normalRange: null,
  ...overrides,
});

/** Integers in hundredths rendered as decimals: 123 → '1.23', -5 → '-0.05'. */
const hundredths = (n: number): string => {
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.abs(n)).padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
};
const KNOWN_FLAGS = Object.keys(abnormalFlagSeverity);
const text = fc.option(fc.string({ unit: 'binary' }), { nil: null });

describe('classifyLabResult', () => {
  it('never throws and always answers with a loggable reason', () => {
    fc.assert(
      fc.property(
        text,
        fc.oneof(text, fc.boolean()),
        text,
        fc.option(fc.boolean(), { nil: null }),
        text,
        text,
        (abnormalStatus, isAbnormal, value, valueIsNumeric, unit, normalRange) => {
          const out = classifyLabResult({ abnormalStatus, isAbnormal, value, valueIsNumeric, unit, normalRange });
          expect(['critical', 'abnormal', 'normal', 'unknown']).toContain(out.severity);
          expect(out.reason).toMatch(/^[a-z_]+(:[A-Za-z_<>]+)?$/);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('never puts the value into the reason', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4 }), fc.constantFrom('', 'H', 'garbage', null), (value, flag) => {
        const out = classifyLabResult(facts({ value: `Hx${value}`, abnormalStatus: flag, normalRange: '1 2' }));
        expect(out.reason).not.toContain(`Hx${value}`);
      }),
    );
  });

  it('is monotonic over the range: inside is normal, outside is abnormal, never critical', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10_000, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: -30_000, max: 30_000 }),
        fc.constantFrom('space', 'dash'),
        (low, width, value, form) => {
          const high = low + width;
          const range =
            form === 'space' ? `${hundredths(low)} ${hundredths(high)}` : `${hundredths(low)}-${hundredths(high)}`;
          // A '-' form with a negative upper bound reads as DrChrono's reversed form; keep the property to valid text.
          fc.pre(form === 'space' || high >= 0);
          const out = classifyLabResult(facts({ value: hundredths(value), normalRange: range }));
          const inside = value >= low && value <= high;
          expect(out).toMatchObject(
            inside
              ? { severity: 'normal', basis: 'range', reason: 'range:within' }
              : { severity: 'abnormal', basis: 'range', reason: value < low ? 'range:below_low' : 'range:above_high' },
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is monotonic over one-sided ranges, honouring inclusive and exclusive bounds', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10_000, max: 10_000 }),
        fc.integer({ min: -10_000, max: 10_000 }),
        fc.constantFrom('<', '<=', '>', '≥ '),
        (bound, value, op) => {
          const out = classifyLabResult(facts({ value: hundredths(value), normalRange: `${op}${hundredths(bound)}` }));
          const inside =
            op === '<' ? value < bound : op === '<=' ? value <= bound : op === '>' ? value > bound : value >= bound;
          expect(out.severity).toBe(inside ? 'normal' : 'abnormal');
          expect(out.basis).toBe('range');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('lets every flag dominate the range', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KNOWN_FLAGS),
        fc.integer({ min: -500, max: 500 }),
        fc.constantFrom('1 2', '<5', '>60', 'negative', '', '5 3'),
        fc.constantFrom(true, false, 'true', 'false'),
        (flag, value, normalRange, isAbnormal) => {
          const out = classifyLabResult(facts({ abnormalStatus: flag, value: String(value), normalRange, isAbnormal }));
          expect(out).toEqual({
            severity: abnormalFlagSeverity[flag as keyof typeof abnormalFlagSeverity],
            basis: 'flag',
            reason: `flag:${flag}`,
          });
        },
      ),
    );
  });

  it('reads unknown flag codes as unknown', () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => s.trim() !== '' && !Object.hasOwn(abnormalFlagSeverity, s.trim().toUpperCase())),
        (flag) => {
          const out = classifyLabResult(facts({ abnormalStatus: flag, value: '99', normalRange: '1 2' }));
          expect(out).toEqual({ severity: 'unknown', basis: 'flag', reason: 'flag:unrecognized' });
        },
      ),
    );
  });

  it.each([
    ['LL', 'critical'],
    ['HH', 'critical'],
    ['<', 'critical'],
    ['>', 'critical'],
    ['AA', 'critical'],
    ['L', 'abnormal'],
    ['H', 'abnormal'],
    ['A', 'abnormal'],
    ['N', 'normal'],
    [' hh ', 'critical'],
    ['S', 'unknown'],
    ['R', 'unknown'],
    ['I', 'unknown'],
    ['NEG', 'unknown'],
    ['POS', 'unknown'],
    ['U', 'unknown'],
    ['D', 'unknown'],
    ['B', 'unknown'],
    ['W', 'unknown'],
    ['MS', 'unknown'],
    ['VS', 'unknown'],
  ])('flag %j → %s', (flag, severity) => {
    expect(classifyLabResult(facts({ abnormalStatus: flag, value: '1.0', normalRange: '0.6 1.2' }))).toMatchObject({
      severity,
      basis: 'flag',
    });
  });

  it.each([
    [
      'garbage flag',
      { abnormalStatus: 'ZZZ', value: '1.0', normalRange: '0.6 1.2' },
      'unknown',
      'flag',
      'flag:unrecognized',
    ],
    [
      'non-numeric value flagged numeric',
      { value: 'see note', normalRange: '0.6 1.2' },
      'unknown',
      'none',
      'non_numeric_value',
    ],
    ['value with a comparator', { value: '<0.1', normalRange: '0.6 1.2' }, 'unknown', 'none', 'non_numeric_value'],
    ['no value', { value: '', valueIsNumeric: false, normalRange: '0.6 1.2' }, 'unknown', 'none', 'no_value'],
    ['below "<5"? no: 4.9 is within', { value: '4.9', normalRange: '<5' }, 'normal', 'range', 'range:within'],
    ['at an exclusive upper bound', { value: '5', normalRange: '<5' }, 'abnormal', 'range', 'range:above_high'],
    ['at an inclusive upper bound', { value: '5.00', normalRange: '<=5' }, 'normal', 'range', 'range:within'],
    ['at an exclusive lower bound', { value: '60', normalRange: '>60' }, 'abnormal', 'range', 'range:below_low'],
    ['"3.5-5.0" inside', { value: '3.5', normalRange: '3.5-5.0' }, 'normal', 'range', 'range:within'],
    ['"3.5-5.0" above', { value: '5.01', normalRange: '3.5-5.0' }, 'abnormal', 'range', 'range:above_high'],
    [
      'text range',
      { value: 'negative', valueIsNumeric: false, normalRange: 'negative' },
      'unknown',
      'none',
      'non_numeric_value',
    ],
    ['numeric value, text range', { value: '12', normalRange: 'negative' }, 'unknown', 'none', 'range:text'],
    ['empty range', { value: '12', normalRange: '  ' }, 'unknown', 'none', 'range:empty'],
    ['reversed range', { value: '4', normalRange: '5 3' }, 'unknown', 'none', 'range:text'],
    [
      'units that differ',
      { value: '2.0', unit: 'mmol/L', normalRange: '0.6-1.2 mEq/L' },
      'unknown',
      'none',
      'unit_mismatch',
    ],
    [
      'same unit, other spelling',
      { value: '2.0', unit: 'meq/l', normalRange: '0.6-1.2 mEq/L' },
      'abnormal',
      'range',
      'range:above_high',
    ],
    [
      'result without a unit',
      { value: '1.0', unit: '', normalRange: '0.6-1.2 mEq/L' },
      'normal',
      'range',
      'range:within',
    ],
    [
      'is_abnormal, no range',
      { value: 'reactive', valueIsNumeric: false, isAbnormal: 'true' },
      'abnormal',
      'flag',
      'is_abnormal',
    ],
    [
      'is_abnormal Y, unit mismatch',
      { value: '2', unit: 'x', normalRange: '1-3 y', isAbnormal: 'Y' },
      'abnormal',
      'flag',
      'is_abnormal',
    ],
    [
      'is_abnormal true beats "within"',
      { value: '1', normalRange: '0 2', isAbnormal: true },
      'abnormal',
      'flag',
      'is_abnormal',
    ],
    [
      'is_abnormal "1" and out of range',
      { value: '3', normalRange: '0 2', isAbnormal: '1' },
      'abnormal',
      'range',
      'range:above_high',
    ],
    ['is_abnormal "false", no range', { value: '3', isAbnormal: 'false' }, 'unknown', 'none', 'range:empty'],
    [
      'numeric value not marked numeric',
      { value: '3', valueIsNumeric: null, normalRange: '0 2' },
      'abnormal',
      'range',
      'range:above_high',
    ],
  ] as const)('%s', (_name, overrides, severity, basis, reason) => {
    expect(classifyLabResult(facts(overrides))).toEqual({ severity, basis, reason });
  });

  it('never calls a result critical from the range alone', () => {
    expect(classifyLabResult(facts({ value: '9.9', unit: 'mEq/L', normalRange: '0.6 1.2' })).severity).toBe('abnormal');
  });
});
