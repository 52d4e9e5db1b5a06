import { describe, expect, it } from 'vitest';
import { generaliseZip, PseudonymKey, MAX_SHIFT_DAYS } from '../../../sync/anonymize/index.js';
import { walkJson } from '../../../sync/anonymize/rules.js';
import { addDays, deidentifyBirthDate, deidentifyDate, placeholderText } from '../../../sync/anonymize/values.js';

const key = new PseudonymKey('unit-test-key-0123456789abcdefghijklmnop');
const ctx = { key, dates: { mode: 'shift' as const, today: '2026-06-01' }, offsetDays: 10 };

describe('anonymize values', () => {
  it('adds days across month, leap-day and year ends', () => {
    expect(addDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-12-25', 10)).toBe('2026-01-04');
    expect(addDays('2025-01-05', -10)).toBe('2024-12-26');
  });

  it('shifts dates and timestamps keeping time and zone, or keeps the year only', () => {
    expect(deidentifyDate('2025-03-01 10:30:00+00', 3, ctx.dates)).toBe('2025-03-04 10:30:00+00');
    expect(deidentifyDate('2025-03-01T10:30:00', -3, ctx.dates)).toBe('2025-02-26T10:30:00');
    expect(deidentifyDate('2025-03-01 10:30:00.123+00', 3, { ...ctx.dates, mode: 'year' })).toBe(
      '2025-01-01 00:00:00+00',
    );
    expect(deidentifyDate('not a date', 3, ctx.dates)).toBeNull();
  });

  it('buckets birth dates of people older than 89', () => {
    expect(deidentifyBirthDate('1930-01-01', 5, ctx.dates)).toBe('1936-01-01');
    expect(deidentifyBirthDate('1937-01-01', 5, ctx.dates)).toBe('1937-01-06');
  });

  it('generalises ZIP codes', () => {
    expect(generaliseZip('02144')).toBe('021');
    expect(generaliseZip('03601')).toBe('000');
    expect(generaliseZip('89012-3456')).toBe('000');
    expect(generaliseZip('90210-1234')).toBe('902');
    expect(generaliseZip('1')).toBe('000');
  });

  it('keys pseudonyms and date offsets: stable, in range, never zero', () => {
    expect(key.pseudonymId('12345')).toBe(key.pseudonymId('12345'));
    expect(key.pseudonymId('12345')).not.toBe(new PseudonymKey('x'.repeat(32)).pseudonymId('12345'));
    for (let i = 0; i < 2000; i++) {
      const d = key.dateOffsetDays(`p${i}`);
      expect(d).not.toBe(0);
      expect(Math.abs(d)).toBeLessThanOrEqual(MAX_SHIFT_DAYS);
    }
    expect(() => new PseudonymKey('short')).toThrow(/at least 32/);
  });

  it('replaces text with placeholder of the same length', () => {
    for (const text of ['', 'a', 'Call Jane at 617-555-0101', 'x'.repeat(500)])
      expect(placeholderText(text)).toHaveLength(text.length);
  });

  it('walks JSON by field name and replaces what it does not know', () => {
    const out = walkJson(
      {
        id: 123,
        patient: '456',
        first_name: 'Jane',
        cell_phone: '617-555-1234',
        email: 'jane@x.test',
        zip_code: '02144',
        address: '1 Main St',
        status: 'Complete',
        icd_code: 'F33.1',
        price: '120.00',
        unknown_new_field: 'Jane Doe said hi',
        scheduled_time: '2025-03-01T10:00:00',
        nested: [{ comment: 'SSN 123-45-6789' }],
        is_telehealth: true,
        exam_room: 2,
      },
      'raw',
      ctx,
    ) as Record<string, any>;
    expect(out.id).toBe(Number(key.pseudonymId('123')));
    expect(out.patient).toBe(key.pseudonymId('456'));
    expect(out.first_name).not.toBe('Jane');
    expect(out.cell_phone).toMatch(/^555-555-01\d\d$/);
    expect(out.email).toMatch(/@example\.invalid$/);
    expect(out.zip_code).toBe('021');
    expect(out.address).toBeNull();
    expect([out.status, out.icd_code, out.price, out.is_telehealth, out.exam_room]).toEqual([
      'Complete',
      'F33.1',
      '120.00',
      true,
      2,
    ]);
    expect(out.unknown_new_field).toMatch(/^Lorem/);
    expect(out.scheduled_time).toBe('2025-03-11T10:00:00');
    expect(out.nested[0].comment).toMatch(/^Lorem/);
  });
});
