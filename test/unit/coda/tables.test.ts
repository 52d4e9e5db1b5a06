import { describe, expect, it } from 'vitest';
import { sourceTableInfo, toCodaValue, valueKind } from '../../../sync/coda/tables.js';

describe('toCodaValue', () => {
  it('writes dates as YYYY-MM-DD and times as ISO 8601 UTC strings', () => {
    expect(toCodaValue('1990-04-01', 'date')).toBe('1990-04-01');
    expect(toCodaValue('2026-01-02T10:00:00+02:00', 'timestamptz')).toBe('2026-01-02T08:00:00.000Z');
    expect(toCodaValue(new Date('2026-01-02T08:00:00Z'), 'timestamptz')).toBe('2026-01-02T08:00:00.000Z');
  });

  it('writes numeric columns as numbers and booleans as booleans', () => {
    expect(toCodaValue(12.5, 'numeric')).toBe(12.5);
    expect(toCodaValue('12.50', 'numeric')).toBe(12.5);
    expect(toCodaValue(7, 'integer')).toBe(7);
    expect(toCodaValue(false, 'boolean')).toBe(false);
    expect(toCodaValue(true, 'boolean')).toBe(true);
  });

  it('writes jsonb as compact JSON text and NULL as an empty cell', () => {
    expect(toCodaValue([{ item: 'insurance_card', done: true }], 'jsonb')).toBe(
      '[{"item":"insurance_card","done":true}]',
    );
    expect(toCodaValue(null, 'text')).toBe('');
    expect(toCodaValue(undefined, 'timestamptz')).toBe('');
  });
});

describe('sourceTableInfo', () => {
  it('derives value kinds from the Drizzle schema', () => {
    const patients = sourceTableInfo('patients');
    expect(patients?.columns.get('date_of_birth')?.kind).toBe('date');
    expect(patients?.columns.get('source_updated_at')?.kind).toBe('timestamptz');
    expect(patients?.columns.get('raw')?.kind).toBe('jsonb');
    expect(patients?.columns.get('id')?.kind).toBe('integer');
    expect(patients?.defaultKey).toBe('drchrono_id');
    expect(patients?.softDeleteColumn).toBe('deleted_at');
    expect(sourceTableInfo('intake_checklists')?.defaultKey).toBe('id');
    expect(sourceTableInfo('intake_checklists')?.softDeleteColumn).toBeUndefined();
    expect(sourceTableInfo('deepcura_notes')?.defaultKey).toBe('deepcura_note_id');
    expect(sourceTableInfo('toString')).toBeUndefined();
    expect(valueKind('numeric(12,2)')).toBe('numeric');
  });
});
