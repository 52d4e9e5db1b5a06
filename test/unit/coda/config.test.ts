import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { codaEnvSchema } from '../../../contract/env.js';
import { codaEnvShape, codaPushDepsFromEnv } from '../../../sync/coda/config.js';
import { CodaMappingError } from '../../../sync/coda/errors.js';
import { createLogger } from '../../../sync/observability/logger.js';
import { recordingSql } from './helpers.js';

const env = z.object(codaEnvShape);
const logger = createLogger({ service: 'test', level: 'silent' });

describe('codaEnvShape and codaPushDepsFromEnv', () => {
  it('defaults the base URL and timeout and requires token, doc id and a map (file or JSON, exactly one)', () => {
    const result = codaEnvSchema.safeParse({});
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['CODA_API_TOKEN', 'CODA_DOC_ID']);
    expect(
      codaEnvSchema.safeParse({ CODA_API_TOKEN: 't', CODA_DOC_ID: 'd' }).error?.issues.map((i) => i.path.join('.')),
    ).toEqual(['CODA_MAPPING']);
    const both = codaEnvSchema.safeParse({
      CODA_API_TOKEN: 't',
      CODA_DOC_ID: 'd',
      CODA_MAPPING: '/m.json',
      CODA_MAPPING_JSON: '{}',
    });
    expect(both.error?.issues.map((i) => i.message)).toEqual([expect.stringMatching(/exactly one of CODA_MAPPING/)]);
    const ok = env.parse({ CODA_API_TOKEN: 't', CODA_DOC_ID: 'AbC-123', CODA_MAPPING: '/m.json' });
    expect(ok.CODA_BASE_URL).toBe('https://coda.io/apis/v1');
    expect(ok.CODA_MUTATION_TIMEOUT_MS).toBe(60_000);
  });

  it('loads the map file with CODA_DOC_ID as the doc, and names the file problem otherwise', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coda-map-'));
    const path = join(dir, 'map.json');
    writeFileSync(
      path,
      JSON.stringify({
        tables: {
          patients: { tableId: 'grid-p', keyColumn: 'c-k', deletedColumn: 'c-d', columns: { drchrono_id: 'c-k' } },
        },
      }),
    );
    const deps = codaPushDepsFromEnv(env.parse({ CODA_API_TOKEN: 't', CODA_DOC_ID: 'doc9', CODA_MAPPING: path }), {
      sql: recordingSql().sql,
      logger,
    });
    expect(deps.mapping.docId).toBe('doc9');
    expect(deps.mutationTimeoutMs).toBe(60_000);
    expect(() =>
      codaPushDepsFromEnv(env.parse({ CODA_API_TOKEN: 't', CODA_DOC_ID: 'd', CODA_MAPPING: join(dir, 'none.json') }), {
        sql: recordingSql().sql,
        logger,
      }),
    ).toThrow(CodaMappingError);
  });

  it('takes the map itself from CODA_MAPPING_JSON (the coda-mapping secret in Cloud Run) and names a broken one', () => {
    const map = { docId: 'ignored', tables: {} };
    const deps = codaPushDepsFromEnv(
      env.parse({ CODA_API_TOKEN: 't', CODA_DOC_ID: 'doc9', CODA_MAPPING_JSON: JSON.stringify(map) }),
      { sql: recordingSql().sql, logger },
    );
    expect(deps.mapping).toEqual({ docId: 'doc9', tables: {} });
    expect(() =>
      codaPushDepsFromEnv(env.parse({ CODA_API_TOKEN: 't', CODA_DOC_ID: 'd', CODA_MAPPING_JSON: '{not json' }), {
        sql: recordingSql().sql,
        logger,
      }),
    ).toThrow(/CODA_MAPPING_JSON: is not valid JSON/);
  });
});
