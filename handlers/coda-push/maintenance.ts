import { Hono, type MiddlewareHandler } from 'hono';
import type { Sql } from 'postgres';
import { cleanupProcessedMessages } from '../../sync/coda/processed.js';
import type { Logger } from '../../sync/observability/logger.js';
import type { AppEnv } from '../app.js';
import { requireStaffRole } from '../middleware/google-auth.js';

export interface MaintenanceRouteDeps {
  readonly sql: Sql;
  readonly logger: Logger;
  /** `requireSchedulerOrStaff(...)`: Cloud Scheduler's OIDC token or IAP + staff role. */
  readonly guard: MiddlewareHandler;
}

/** `POST /maintenance/cleanup` — drops processed message ids past Pub/Sub's 7-day redelivery horizon → `{removed}`. */
export function maintenanceRoutes(deps: MaintenanceRouteDeps) {
  const app = new Hono<AppEnv>();
  app.post('/maintenance/cleanup', deps.guard, requireStaffRole(deps.logger, 'admin'), async (c) => {
    const removed = await cleanupProcessedMessages(deps.sql);
    deps.logger.info({ requestId: c.get('requestId'), removed }, 'processed_messages cleaned up');
    return c.json({ removed }, 200);
  });
  return app;
}
