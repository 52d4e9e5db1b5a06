import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareDecimal, parseDecimal } from '../../../sync/labs/decimal.js';
import { parseReferenceRange, rangeUnit } from '../../../sync/labs/reference-range.js';

/** Decimal strings with up to 2 fraction digits, e.g. '-12.5', '0', '4.06'. */
const decimal = fc.tuple(fc.integer({ min: -100_000, max: 100_000 }), fc.constantFrom(0, 1, 2)).map(([n, places]) => {
  if (places === 0) return String(n);
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.abs(n)).padStart(places + 1, '0');
  return `${sign}${digits.slice(0, -places)}.${digits.slice(-places)}`;
});
/** Two decimals with a < b. */
const ordered = fc.tuple(decimal, decimal).filter(([a, b]) => compareDecimal(a, b) < 0);
const unit = fc.constantFrom('', ' mEq/L', ' ug/mL', ' mIU/L', ' %', ' /uL', 'mg/dL');

describe('parseReferenceRange', () => {
  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: 'binary' }), { nil: undefined }), (text) => {
        const range = parseReferenceRange(text);
        expect(['interval', 'upper_bound', 'lower_bound', 'text', 'empty']).toContain(range.kind);
        rangeUnit(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips generated intervals in every accepted form, keeping any unit out of the numbers', () => {
    const forms = [
      (a: string, b: string) => `${a} ${b}`,
      (a: string, b: string) => `${a}-${b}`,
      (a: string, b: string) => `${a} - ${b}`,
      (a: string, b: string) => `  ${a} to ${b} `,
    ];
    fc.assert(
      fc.property(ordered, fc.integer({ min: 0, max: forms.length - 1 }), unit, ([low, high], form, u) => {
        const text = `${forms[form]!(low, high)}${u}`;
        const range = parseReferenceRange(text);
        expect(range).toMatchObject({ kind: 'interval', low, high, lowInclusive: true, highInclusive: true });
        expect(range.text).toBe(text.trim());
        expect(rangeUnit(text)).toBe(u.trim() || null);
      }),
      { numRuns: 1000 },
    );
  });

  it('round-trips one-sided bounds with their inclusiveness', () => {
    const operators = [
      { op: '<', kind: 'upper_bound', inclusive: false },
      { op: '<=', kind: 'upper_bound', inclusive: true },
      { op: '≤ ', kind: 'upper_bound', inclusive: true },
      { op: '>', kind: 'lower_bound', inclusive: false },
      { op: '>=', kind: 'lower_bound', inclusive: true },
      { op: '≥ ', kind: 'lower_bound', inclusive: true },
    ] as const;
    fc.assert(
      fc.property(decimal, fc.constantFrom(...operators), unit, (bound, { op, kind, inclusive }, u) => {
        const range = parseReferenceRange(`${op}${bound}${u}`);
        expect(range.kind).toBe(kind);
        if (kind === 'upper_bound') expect(range).toMatchObject({ low: null, high: bound, highInclusive: inclusive });
        else expect(range).toMatchObject({ low: bound, high: null, lowInclusive: inclusive });
      }),
    );
  });

  it('never reads reversed bounds as an interval', () => {
    fc.assert(
      fc.property(ordered, fc.constantFrom(' ', '-', ' - ', ' to '), ([low, high], separator) => {
        const range = parseReferenceRange(`${high}${separator}${low}`);
        expect(range.kind).not.toBe('interval');
      }),
      { numRuns: 1000 },
    );
  });

  it.each([
    ['3.5 5.0', { kind: 'interval', low: '3.5', high: '5.0' }, null],
    ['3.5-5.0', { kind: 'interval', low: '3.5', high: '5.0' }, null],
    ['3.5 - 5.0', { kind: 'interval', low: '3.5', high: '5.0' }, null],
    ['0.6-1.2 mEq/L', { kind: 'interval', low: '0.6', high: '1.2' }, 'mEq/L'],
    ['-2 2', { kind: 'interval', low: '-2', high: '2' }, null],
    ['-5 -2', { kind: 'interval', low: '-5', high: '-2' }, null],
    ['<5', { kind: 'upper_bound', low: null, high: '5', highInclusive: false }, null],
    ['<=5', { kind: 'upper_bound', high: '5', highInclusive: true }, null],
    ['>60', { kind: 'lower_bound', low: '60', lowInclusive: false }, null],
    ['≥ 60', { kind: 'lower_bound', low: '60', lowInclusive: true }, null],
    ['>= 60 mL/min/1.73m2', { kind: 'lower_bound', low: '60' }, 'mL/min/1.73m2'],
    ['negative', { kind: 'text', low: null, high: null, text: 'negative' }, null],
    ['non-reactive', { kind: 'text', text: 'non-reactive' }, null],
    ['5 3', { kind: 'text', low: null, high: null, text: '5 3' }, null],
    ['3.5 -5.0', { kind: 'text' }, null],
    ['1 2 3', { kind: 'text' }, null],
    ['', { kind: 'empty', text: null }, null],
    ['   ', { kind: 'empty', text: null }, null],
  ] as const)('%j', (text, expected, unitText) => {
    expect(parseReferenceRange(text)).toMatchObject(expected);
    expect(rangeUnit(text)).toBe(unitText);
  });

  it('reads null and undefined as empty', () => {
    expect(parseReferenceRange(null).kind).toBe('empty');
    expect(parseReferenceRange(undefined).kind).toBe('empty');
  });
});

describe('decimals', () => {
  it('compare exactly, like the numbers they spell', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1e6, max: 1e6 }), (a, b) => {
        expect(compareDecimal(`${a}.0`, `${b}`)).toBe(Math.sign(a - b) || 0);
      }),
    );
    expect(compareDecimal('0.10', '.1')).toBe(0);
    expect(compareDecimal('-0', '0')).toBe(0);
    expect(compareDecimal('-0.5', '-0.45')).toBe(-1);
    expect(compareDecimal('10', '9.99')).toBe(1);
  });

  it('parse only plain decimals', () => {
    expect(parseDecimal(' +1.20 ')).toBe('1.20');
    expect(parseDecimal('<0.5')).toBeNull();
    expect(parseDecimal('1e3')).toBeNull();
    expect(parseDecimal('1,200')).toBeNull();
    expect(parseDecimal(null)).toBeNull();
  });
});
