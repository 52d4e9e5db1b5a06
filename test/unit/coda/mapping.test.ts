import { describe, expect, it } from 'vitest';
import { createCodaClient } from '../../../sync/coda/client.js';
import { CodaMappingError } from '../../../sync/coda/errors.js';
import {
  defaultCodaDocSpec,
  mappingFromCreatedDoc,
  parseCodaMapping,
  validateMappingAgainstCoda,
} from '../../../sync/coda/mapping.js';
import { codaSourceTables } from '../../../sync/coda/tables.js';
import { createCodaRateLimiter } from '../../../sync/coda/rate-limiter.js';
import { inProcessCoda, recordingSql, TOKEN } from './helpers.js';

const problemsOf = (fn: () => unknown): readonly string[] => {
  try {
    fn();
  } catch (error) {
    if (error instanceof CodaMappingError) return error.problems;
    throw error;
  }
  throw new Error('expected a CodaMappingError');
};

const patients = {
  tableId: 'grid-pat',
  keyColumn: 'c-key',
  deletedColumn: 'c-del',
  columns: { drchrono_id: 'c-key', first_name: 'c-first' },
};

describe('parseCodaMapping', () => {
  it('accepts a map that fits the schema and takes CODA_DOC_ID over the file', () => {
    expect(parseCodaMapping({ docId: 'file-doc', tables: { patients } }, { docId: 'env-doc' }).docId).toBe('env-doc');
  });

  it('names every problem with its path and the fix, never stopping at the first', () => {
    const problems = problemsOf(() =>
      parseCodaMapping({
        docId: 'd',
        tables: {
          patients: { ...patients, columns: { first_name: 'c-first', shoe_size: 'c-shoe', last_name: 'c-first' } },
          invoices: patients,
        },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^tables\.patients\.columns\.shoe_size: patients has no such column/),
        expect.stringMatching(/^tables\.patients\.columns\.last_name: c-first is also mapped from first_name/),
        expect.stringMatching(
          /^tables\.patients\.keyColumn \(c-key\): must also be mapped in columns, from drchrono_id/,
        ),
        expect.stringMatching(/^tables\.invoices: not a table coda-push reads/),
      ]),
    );
  });

  it('refuses names where ids belong, views, and a missing doc id', () => {
    expect(
      problemsOf(() => parseCodaMapping({ docId: 'd', tables: { patients: { ...patients, tableId: 'table-view' } } })),
    ).toEqual([expect.stringMatching(/tables\.patients\.tableId: must be a Coda base table id \(grid-…\)/)]);
    expect(
      problemsOf(() =>
        parseCodaMapping({
          docId: 'd',
          tables: { patients: { ...patients, columns: { drchrono_id: 'DrChrono ID' } } },
        }),
      )[0],
    ).toMatch(/tables\.patients\.columns\.drchrono_id: must be a Coda column id/);
    expect(problemsOf(() => parseCodaMapping({ tables: {} }))).toEqual([
      'docId: set CODA_DOC_ID or "docId" in the mapping file',
    ]);
  });
});

describe('defaultCodaDocSpec and mappingFromCreatedDoc', () => {
  it('lays out one table per source table with readable names, no raw column, and a Deleted column', () => {
    const spec = defaultCodaDocSpec();
    expect(spec.tables.map((t) => t.name)).toHaveLength(Object.keys(codaSourceTables).length);
    const pat = spec.tables.find((t) => t.name === 'Patients')!;
    const names = pat.columns.map((c) => c.name);
    expect(names[0]).toBe('DrChrono ID');
    expect(names).toEqual(expect.arrayContaining(['First Name', 'Date Of Birth', 'Doctor (DrChrono ID)', 'Deleted']));
    expect(names).not.toContain('Raw');
    expect(spec.tables.find((t) => t.name === 'Intake Checklists')!.columns[0]!.name).toBe('Row ID');
    expect(spec.tables.find((t) => t.name === 'Deep Cura Notes')!.columns.map((c) => c.name)).not.toContain(
      'Transcript',
    );
  });

  it('turns the sandbox-created doc into a map that passes the schema check and the live check', async () => {
    const coda = inProcessCoda();
    const mapping = mappingFromCreatedDoc(coda.control.createDoc(defaultCodaDocSpec({ docId: 'default-doc' })));
    expect(parseCodaMapping(JSON.parse(JSON.stringify(mapping)))).toEqual(mapping);
    expect(mapping.tables.patients?.keyColumn).toBe(mapping.tables.patients?.columns.drchrono_id);
    expect(mapping.tables.staff_roles?.keyColumn).toBe(mapping.tables.staff_roles?.columns.id);
    const client = createCodaClient({
      baseUrl: coda.baseUrl,
      token: TOKEN,
      sql: recordingSql().sql,
      fetch: coda.fetch,
      rateLimiter: createCodaRateLimiter(),
    });
    await expect(validateMappingAgainstCoda(client, mapping)).resolves.toBeUndefined();
  });
});

describe('validateMappingAgainstCoda', () => {
  it('names each missing column by mapping key and id, refuses calculated columns, and reports unknown tables', async () => {
    const coda = inProcessCoda({ defaultPageSize: 2 });
    const doc = coda.control.createDoc({
      docId: 'live',
      tables: [
        {
          name: 'Patients',
          columns: [
            { name: 'Key', id: 'c-key' },
            { name: 'Deleted', id: 'c-del' },
            { name: 'Age', id: 'c-first', calculated: true },
          ],
        },
      ],
    });
    const mapping = parseCodaMapping({
      docId: 'live',
      tables: {
        patients: {
          tableId: doc.tables['Patients']!.id,
          keyColumn: 'c-key',
          deletedColumn: 'c-del',
          columns: { drchrono_id: 'c-key', first_name: 'c-first', last_name: 'c-last' },
        },
        providers: { tableId: 'grid-nothere', keyColumn: 'c-k', deletedColumn: 'c-d', columns: { drchrono_id: 'c-k' } },
      },
    });
    const client = createCodaClient({
      baseUrl: coda.baseUrl,
      token: TOKEN,
      sql: recordingSql().sql,
      fetch: coda.fetch,
      rateLimiter: createCodaRateLimiter(),
    });
    const error = await validateMappingAgainstCoda(client, mapping).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodaMappingError);
    expect((error as CodaMappingError).message).toContain('does not match doc live');
    expect((error as CodaMappingError).problems).toEqual([
      'tables.patients.columns.first_name → c-first ("Age"): a calculated column cannot be written; map a base column',
      `tables.patients.columns.last_name → c-last: no such column in Coda table ${doc.tables['Patients']!.id}; add it to the table or fix the id`,
      'tables.providers.tableId grid-nothere: no such table in doc live',
    ]);
  });
});
