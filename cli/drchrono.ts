import { createDrChronoClientFromConfig } from '../sync/drchrono/config.js';
import type { SyncDeps } from '../sync/drchrono/sync.js';
import type { Database } from '../sync/db/client.js';
import type { Logger } from '../sync/observability/logger.js';
import type { DrChronoEnv } from './config.js';

/** Sync dependencies from validated configuration; shared by `platform sync`, `serve drchrono-sync` and `local`. */
export function drchronoSyncDeps(
  env: DrChronoEnv,
  database: Database,
  logger: Logger,
  extra: Partial<SyncDeps> = {},
): SyncDeps {
  const { client } = createDrChronoClientFromConfig({
    baseUrl: env.DRCHRONO_BASE_URL,
    clientId: env.DRCHRONO_CLIENT_ID,
    clientSecret: env.DRCHRONO_CLIENT_SECRET,
    tokenStore: env.DRCHRONO_TOKEN_STORE,
    secretManager: { secretManagerBaseUrl: env.SECRET_MANAGER_BASE_URL },
    sql: database.sql,
    logger,
    budget: {
      hourlyLimit: env.DRCHRONO_HOURLY_CALL_LIMIT,
      ...(env.DRCHRONO_INCREMENTAL_RESERVE !== undefined && { incrementalReserve: env.DRCHRONO_INCREMENTAL_RESERVE }),
    },
  });
  return {
    sql: database.sql,
    client,
    logger,
    timeZone: env.DRCHRONO_TIMEZONE,
    labCriticalReviewMinutes: env.LAB_CRITICAL_REVIEW_MINUTES,
    ...extra,
  };
}
