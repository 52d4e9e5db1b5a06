import { describe, expect, it } from 'vitest';
import { UnstorableValue } from '../../../sync/db/pg-values.js';
import { mapRecords } from '../../../sync/drchrono/mappers.js';

const ctx = { timeZone: 'America/New_York' };

describe('mapRecords with values that cannot be stored', () => {
  it('marks an impossible timestamp unstorable instead of throwing (the page still syncs)', () => {
    const [row] = mapRecords(
      'appointments',
      [{ id: 1, updated_at: '2026-13-40T25:61', scheduled_time: '9999-99-99T99:99' }],
      ctx,
    ).appointments!;
    expect(row!['source_updated_at']).toEqual(new UnstorableValue('not_an_instant'));
    expect(row!['scheduled_time']).toEqual(new UnstorableValue('not_an_instant'));
  });

  it('marks an object or a 20,000-deep array in a text field unstorable instead of overflowing the stack', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const [row] = mapRecords(
      'patients',
      [{ id: 2, updated_at: '2026-05-01T10:00:00', first_name: deep, city: { a: 1 } }],
      ctx,
    ).patients!;
    expect(row!['first_name']).toEqual(new UnstorableValue('not_text'));
    expect(row!['city']).toEqual(new UnstorableValue('not_text'));
  });
});
