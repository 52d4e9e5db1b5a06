import { describe, expect, it } from 'vitest';
import {
  allowedValuesOf,
  cleanText,
  isPgDate,
  isPgInstant,
  jsonTooDeepAt,
  MAX_JSON_DEPTH,
  pgRow,
  pgValue,
  PgValueWarnings,
  safeFieldPath,
  UnstorableValue,
} from '../../../sync/db/pg-values.js';

const nest = (depth: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
};

describe('cleanText', () => {
  it('replaces NUL and lone surrogates with U+FFFD and keeps valid pairs', () => {
    expect(cleanText('a\u0000b')).toBe('a\uFFFDb');
    expect(cleanText('x\uD800y\uDC00')).toBe('x\uFFFDy\uFFFD');
    expect(cleanText('emoji \uD83D\uDE00')).toBe('emoji \uD83D\uDE00');
  });
  it('returns the same string when there is nothing to clean', () => {
    const s = 'plain';
    expect(cleanText(s)).toBe(s);
  });
});

describe('pgValue', () => {
  it('cleans text and reports text_cleaned', () => {
    expect(pgValue({ name: 'c', type: 'text' }, 'a\u0000')).toEqual({ value: 'a\uFFFD', issue: 'text_cleaned' });
    expect(pgValue({ name: 'c', type: 'text' }, 'ok')).toEqual({ value: 'ok' });
  });

  it('cleans every string and key of jsonb, copying only what changed', () => {
    const unchanged = { a: [1, 'x'] };
    expect(pgValue({ name: 'raw', type: 'jsonb' }, unchanged).value).toBe(unchanged);
    expect(pgValue({ name: 'raw', type: 'jsonb' }, { 'k\u0000': ['\uDC00'] })).toEqual({
      value: { 'k\uFFFD': ['\uFFFD'] },
      issue: 'json_cleaned',
    });
  });

  it('cuts jsonb nested deeper than MAX_JSON_DEPTH, so JSON.stringify cannot overflow', () => {
    const deep = nest(20_000);
    const result = pgValue({ name: 'raw', type: 'jsonb' }, deep);
    expect(result.issue).toBe('json_too_deep');
    expect(() => JSON.stringify(result.value)).not.toThrow();
    expect(jsonTooDeepAt(result.value)).toBeUndefined();
    expect(pgValue({ name: 'raw', type: 'jsonb' }, nest(MAX_JSON_DEPTH - 1)).issue).toBeUndefined();
  });

  it.each([
    ['integer', 2 ** 31 - 1, 2 ** 31 - 1, undefined],
    ['integer', 2 ** 31, null, 'out_of_range'],
    ['integer', -(2 ** 31) - 1, null, 'out_of_range'],
    ['integer', 1e300, null, 'out_of_range'],
    ['integer', Infinity, null, 'not_an_integer'],
    ['integer', 1.5, null, 'not_an_integer'],
    ['smallint', 32_768, null, 'out_of_range'],
    ['smallint', '10', 10, undefined],
    ['bigint', '9223372036854775808', null, 'out_of_range'],
  ])('%s %s → %s (%s)', (type, input, value, issue) => {
    expect(pgValue({ name: 'n', type }, input)).toEqual(issue ? { value, issue } : { value });
  });

  it.each([
    ['2026-02-28', true],
    ['2024-02-29', true],
    ['2026-02-30', false],
    ['2025-02-29', false],
    ['0000-01-01', false],
    ['9999-12-31', true],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['2026-1-1', false],
  ])('date %s storable: %s', (date, ok) => {
    expect(isPgDate(date)).toBe(ok);
    expect(pgValue({ name: 'd', type: 'date' }, date)).toEqual(
      ok ? { value: date } : { value: null, issue: 'not_a_date' },
    );
  });

  it.each([
    ['2026-03-04T10:15:00.000Z', true],
    ['2026-03-04T10:15:00+05:30', true],
    ['2026-03-04 10:15:00Z', true],
    ['+010007-01-01T00:00:00.000Z', false],
    ['0000-01-01T00:00:00Z', false],
    ['2026-02-30T00:00:00Z', false],
    ['2026-01-01T25:00:00Z', false],
    ['2026-01-01T10:00:00', false],
    ['9999-12-31T23:00:00-05:00', false],
    ['2026-01-01T10:00:00+16:00', false],
    ['not a time', false],
  ])('timestamptz %s storable: %s', (s, ok) => {
    expect(isPgInstant(s)).toBe(ok);
    expect(pgValue({ name: 't', type: 'timestamp with time zone' }, s)).toEqual(
      ok ? { value: s } : { value: null, issue: 'not_an_instant' },
    );
  });

  it('numeric(12,2) accepts plain decimals within precision', () => {
    expect(pgValue({ name: 'm', type: 'numeric(12,2)' }, '1234567890.12')).toEqual({ value: '1234567890.12' });
    expect(pgValue({ name: 'm', type: 'numeric(12,2)' }, '12345678901.00')).toEqual({
      value: null,
      issue: 'out_of_range',
    });
    expect(pgValue({ name: 'm', type: 'numeric(12,2)' }, '1e5')).toEqual({ value: null, issue: 'not_a_decimal' });
  });

  it('nulls a value outside a CHECK list and a mapper verdict, with the reason', () => {
    expect(pgValue({ name: 'icd_version', type: 'smallint', allowed: ['9', '10'] }, 11)).toEqual({
      value: null,
      issue: 'not_allowed',
    });
    expect(pgValue({ name: 'icd_version', type: 'smallint', allowed: ['9', '10'] }, 10)).toEqual({ value: 10 });
    expect(pgValue({ name: 't', type: 'timestamp with time zone' }, new UnstorableValue('not_an_instant'))).toEqual({
      value: null,
      issue: 'not_an_instant',
    });
  });

  it('refuses at once a column type it has no rule for', () => {
    expect(() => pgValue({ name: 'x', type: 'tsvector' }, 'a')).toThrow(/no rule for SQL type tsvector/);
  });
});

describe('pgRow and PgValueWarnings', () => {
  it('counts changes per table, column and reason, and logs no value', () => {
    const warnings = new PgValueWarnings();
    const columns = [
      { name: 'a', type: 'text' },
      { name: 'n', type: 'integer' },
    ];
    const row = pgRow('t', columns, { a: 'SECRET\u0000', n: 2 ** 40 }, warnings);
    pgRow('t', columns, { a: 'ok', n: 2 ** 40 }, warnings);
    expect(row).toEqual({ a: 'SECRET\uFFFD', n: null });
    expect(warnings.entries()).toEqual([
      { table: 't', column: 'a', reason: 'text_cleaned', count: 1 },
      { table: 't', column: 'n', reason: 'out_of_range', count: 2 },
    ]);
    const lines: unknown[] = [];
    warnings.log({ warn: (o: unknown) => lines.push(o) } as never);
    expect(JSON.stringify(lines)).not.toContain('SECRET');
  });
});

describe('helpers', () => {
  it('reads the CHECK lists the schema declares', () => {
    expect(allowedValuesOf('icd_version IN (9, 10)')).toEqual({ column: 'icd_version', values: ['9', '10'] });
    expect(allowedValuesOf("patient_status IN ('A', 'I', 'D')")).toEqual({
      column: 'patient_status',
      values: ['A', 'I', 'D'],
    });
    expect(allowedValuesOf('a > 1')).toBeUndefined();
  });

  it('reports where JSON is too deep without quoting free-text keys', () => {
    expect(jsonTooDeepAt({ object: { notes: nest(100) } })?.slice(0, 2)).toEqual(['object', 'notes']);
    expect(jsonTooDeepAt({ 'Jane Doe, DOB 1970': nest(100) })).toEqual([]);
    expect(safeFieldPath(['object', 'x y', 'z'])).toEqual(['object']);
  });
});
