import type { Sql } from 'postgres';
import type { CodaEnv } from '../../contract/env.js';
import type { Logger } from '../observability/logger.js';
import { createCodaClient, type CodaClient } from './client.js';
import { CodaMappingError } from './errors.js';
import { loadCodaMapping, parseCodaMapping, type CodaMapping } from './mapping.js';

// The Coda variables (CODA_BASE_URL, CODA_API_TOKEN, CODA_DOC_ID, CODA_MAPPING | CODA_MAPPING_JSON,
// CODA_MUTATION_TIMEOUT_MS) are declared in the deploy contract.
export { codaEnvShape } from '../../contract/env.js';
export type { CodaEnv } from '../../contract/env.js';

export interface CodaPushSyncDeps {
  readonly client: CodaClient;
  readonly mapping: CodaMapping;
  readonly mutationTimeoutMs: number;
}

/**
 * The Coda client and column map from parsed env (the map file `CODA_MAPPING`, or the map itself in
 * `CODA_MAPPING_JSON`, which Cloud Run takes from the `coda-mapping` secret). Reads and checks the map against the Postgres schema
 * (sync); checking it against the live doc is async — `await validateMappingAgainstCoda(client, mapping)` before
 * serving.
 * @throws {CodaMappingError} when the map file is unreadable or does not fit the schema
 */
export function codaPushDepsFromEnv(
  env: CodaEnv,
  deps: { sql: Sql; logger: Logger; fetch?: typeof globalThis.fetch },
): CodaPushSyncDeps {
  const mapping =
    env.CODA_MAPPING_JSON !== undefined
      ? mappingFromJson(env.CODA_MAPPING_JSON, env.CODA_DOC_ID)
      : loadCodaMapping(env.CODA_MAPPING ?? '', { docId: env.CODA_DOC_ID });
  const client = createCodaClient({
    baseUrl: env.CODA_BASE_URL,
    token: env.CODA_API_TOKEN,
    sql: deps.sql,
    logger: deps.logger,
    ...(deps.fetch && { fetch: deps.fetch }),
  });
  return { client, mapping, mutationTimeoutMs: env.CODA_MUTATION_TIMEOUT_MS };
}

function mappingFromJson(text: string, docId: string): CodaMapping {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CodaMappingError([
      'CODA_MAPPING_JSON: is not valid JSON (the coda-mapping secret must hold the column map file as is)',
    ]);
  }
  return parseCodaMapping(json, { docId });
}
