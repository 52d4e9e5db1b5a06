import type { Sql } from 'postgres';
import { z } from 'zod';
import type { Logger } from '../observability/logger.js';
import { CODA_DEFAULT_BASE_URL, createCodaClient, type CodaClient } from './client.js';
import { loadCodaMapping, type CodaMapping } from './mapping.js';

/**
 * The Coda variables of DESIGN §9, as a zod shape for the CLI to merge into coda-push's schema:
 * `serviceEnvSchema.extend({ ...codaEnvShape, ...authEnvShape }).superRefine(checkAuthEnv)`.
 *
 * - `CODA_BASE_URL` API root. @default https://coda.io/apis/v1
 * - `CODA_API_TOKEN` API token (Secret Manager in Cloud Run). Required.
 * - `CODA_DOC_ID` the doc the map addresses; overrides the map file's `docId`. Required.
 * - `CODA_MAPPING` path to the JSON column map (see `sync/coda/mapping.ts`). Required.
 * - `CODA_MUTATION_TIMEOUT_MS` how long a push waits for Coda to apply its upserts before nacking. @default 60000
 */
export const codaEnvShape = {
  CODA_BASE_URL: z.url({ protocol: /^https?$/ }).default(CODA_DEFAULT_BASE_URL),
  CODA_API_TOKEN: z.string().min(1, 'is required (the Coda API token)'),
  CODA_DOC_ID: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be a Coda doc id (the part after _d in the doc URL)'),
  CODA_MAPPING: z.string().min(1, 'must be the path of the JSON column map'),
  CODA_MUTATION_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(540_000).default(60_000),
};

const codaEnvObject = z.object(codaEnvShape);
export type CodaEnv = z.infer<typeof codaEnvObject>;

export interface CodaPushSyncDeps {
  readonly client: CodaClient;
  readonly mapping: CodaMapping;
  readonly mutationTimeoutMs: number;
}

/**
 * The Coda client and column map from parsed env. Reads and checks the map file against the Postgres schema
 * (sync); checking it against the live doc is async — `await validateMappingAgainstCoda(client, mapping)` before
 * serving.
 * @throws {CodaMappingError} when the map file is unreadable or does not fit the schema
 */
export function codaPushDepsFromEnv(env: CodaEnv, deps: { sql: Sql; logger: Logger; fetch?: typeof globalThis.fetch }): CodaPushSyncDeps {
  const mapping = loadCodaMapping(env.CODA_MAPPING, { docId: env.CODA_DOC_ID });
  const client = createCodaClient({
    baseUrl: env.CODA_BASE_URL,
    token: env.CODA_API_TOKEN,
    sql: deps.sql,
    logger: deps.logger,
    ...(deps.fetch && { fetch: deps.fetch }),
  });
  return { client, mapping, mutationTimeoutMs: env.CODA_MUTATION_TIMEOUT_MS };
}
