import type { Sql } from 'postgres';
import type { Logger } from '../../sync/observability/logger.js';
import { createBaseApp } from '../app.js';

export interface CodaPushDeps {
  readonly sql: Sql;
  readonly logger: Logger;
}

/** The coda-push Cloud Run service: receives change events by Pub/Sub push and upserts rows into Coda. */
export function createCodaPushApp(deps: CodaPushDeps) {
  return createBaseApp({ ...deps, service: 'coda-push' });
}
