import { describe, expect, expectTypeOf, it } from 'vitest';
import { UnstorableValue } from '../../../sync/db/pg-values.js';
import { mapRecords, type MappedRows } from '../../../sync/drchrono/mappers.js';
import { mirrors, type MirrorRows } from '../../../sync/mirrors.js';
import { upsertBatch, type MirrorRowOf } from '../../../sync/upsert.js';
import type * as schema from '../../../schema/index.js';

// The checks that matter here are the compiler's: `npm test` runs `tsc --noEmit` over test/, and each
// `@ts-expect-error` fails it if the line below it ever compiles (a misspelt column or a wrong value type accepted).

const ctx = { timeZone: 'America/New_York' };

describe('mirror rows typed from the Drizzle tables', () => {
  it('accepts a row keyed by the SQL column names, with null and UnstorableValue where a mapper may put them', () => {
    const row: MirrorRows['patients'] = {
      drchrono_id: '1',
      raw: {},
      source_updated_at: null,
      first_name: 'Ada',
      date_of_birth: null,
      doctor: '7',
      city: new UnstorableValue('not_text'),
    };
    expect(row.first_name).toBe('Ada');
  });

  it('refuses a misspelt column at compile time', () => {
    // @ts-expect-error first_nmae is not a column of patients
    const row: MirrorRows['patients'] = { drchrono_id: '1', raw: {}, first_nmae: 'Ada' };
    expect(row).toBeDefined();
  });

  it('refuses the camelCase key where the SQL name is meant', () => {
    // @ts-expect-error rows are keyed by SQL name (first_name), not the Drizzle key
    const row: MirrorRows['patients'] = { drchrono_id: '1', raw: {}, firstName: 'Ada' };
    expect(row).toBeDefined();
  });

  it('refuses a value of the wrong type at compile time', () => {
    // @ts-expect-error exam_room is an integer column
    const row: MirrorRows['appointments'] = { drchrono_id: '1', raw: {}, exam_room: 'room 4' };
    // @ts-expect-error drchrono_id is the key: a string, never an UnstorableValue
    const keyless: MirrorRows['appointments'] = { drchrono_id: new UnstorableValue('not_text'), raw: {} };
    expect([row, keyless]).toHaveLength(2);
  });

  it('requires the columns the table requires and leaves out the ones the upsert manages', () => {
    // @ts-expect-error raw is NOT NULL without a default
    const noRaw: MirrorRows['providers'] = { drchrono_id: '1' };
    // @ts-expect-error rank is NOT NULL without a default
    const noRank: MirrorRows['insurance_records'] = { drchrono_id: '1:primary', raw: {}, patient: '1' };
    // @ts-expect-error deleted_at is set by the soft delete, never by a row
    const managed: MirrorRows['patients'] = { drchrono_id: '1', raw: {}, deleted_at: null };
    expect([noRaw, noRank, managed]).toHaveLength(3);
  });

  it("checks the rows given to upsertBatch against the spec's own table", () => {
    expectTypeOf<MirrorRows['clinical_notes']>().toEqualTypeOf<MirrorRowOf<typeof schema.clinicalNotes>>();
    // @ts-expect-error `locked` is a clinical_notes column, not a patients one
    const misrouted = () => upsertBatch(null as never, mirrors.patients, [{ drchrono_id: '1', raw: {}, locked: true }]);
    expect(misrouted).toBeTypeOf('function');
  });

  it('types the mapped rows per table', () => {
    const mapped = mapRecords('problems', [{ id: 3, icd_version: 10 }], ctx);
    expectTypeOf(mapped).toEqualTypeOf<MappedRows>();
    expectTypeOf(mapped.problems).toEqualTypeOf<MirrorRows['problems'][] | undefined>();
    expect(mapped.problems?.[0]?.icd_version).toBe(10);
  });
});
