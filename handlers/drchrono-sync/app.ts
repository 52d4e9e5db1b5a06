import type { Sql } from 'postgres';
import type { Logger } from '../../sync/observability/logger.js';
import { createBaseApp } from '../app.js';

export interface DrChronoSyncDeps {
  readonly sql: Sql;
  readonly logger: Logger;
}

/** The drchrono-sync Cloud Run service: DrChrono webhooks, Deep Cura Gridhooks, sync triggers. */
export function createDrChronoSyncApp(deps: DrChronoSyncDeps) {
  return createBaseApp({ ...deps, service: 'drchrono-sync' });
}
