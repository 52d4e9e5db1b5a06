import type { MiddlewareHandler } from 'hono';
import type { Sql } from 'postgres';
import type { CodaClient } from '../../sync/coda/client.js';
import type { CodaMapping } from '../../sync/coda/mapping.js';
import type { Logger } from '../../sync/observability/logger.js';
import { createBaseApp } from '../app.js';
import { maintenanceRoutes } from './maintenance.js';
import { pubsubPushRoutes } from './push.js';

export interface CodaPushDeps {
  readonly sql: Sql;
  readonly logger: Logger;
  /** `createCodaClient(...)` (one per process: its rate limiter is the token's budget). */
  readonly coda: CodaClient;
  /** The column map, already checked with `validateMappingAgainstCoda` at start-up. */
  readonly mapping: CodaMapping;
  /** Guards `POST /pubsub/push`: `requirePushAuth({ mode: 'oidc', oidc, logger, kService })`; `mode: 'none'` only locally. */
  readonly pushAuth: MiddlewareHandler;
  /** Guards `POST /maintenance/*`: `requireSchedulerOrStaff(...)`. */
  readonly operatorGuard: MiddlewareHandler;
  /** How long a push waits for Coda to apply its upserts, in ms. @default 60000 */
  readonly mutationTimeoutMs?: number;
  /** First mutationStatus poll delay, in ms. @default 500 */
  readonly pollIntervalMs?: number;
}

/**
 * The coda-push Cloud Run service: receives change events by Pub/Sub push and upserts rows into Coda;
 * `POST /maintenance/cleanup` for the scheduler. Both guards are required: there is no unauthenticated default.
 * @throws {Error} when a guard is missing
 */
export function createCodaPushApp(deps: CodaPushDeps) {
  if (!deps.pushAuth) throw new Error('createCodaPushApp: pushAuth is required (requirePushAuth)');
  if (!deps.operatorGuard) throw new Error('createCodaPushApp: operatorGuard is required (requireSchedulerOrStaff)');
  const { sql, logger } = deps;
  const app = createBaseApp({ sql, logger, service: 'coda-push' });
  const push = {
    sql,
    logger,
    client: deps.coda,
    mapping: deps.mapping,
    ...(deps.mutationTimeoutMs !== undefined && { mutationTimeoutMs: deps.mutationTimeoutMs }),
    ...(deps.pollIntervalMs !== undefined && { pollIntervalMs: deps.pollIntervalMs }),
  };
  app.route('/', pubsubPushRoutes({ push, pushAuth: deps.pushAuth, logger }));
  app.route('/', maintenanceRoutes({ sql, logger, guard: deps.operatorGuard }));
  return app;
}
