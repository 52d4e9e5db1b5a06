import type { MiddlewareHandler } from 'hono';
import type { Sql } from 'postgres';
import type { SyncDeps } from '../../sync/drchrono/sync.js';
import type { Logger } from '../../sync/observability/logger.js';
import { createBaseApp } from '../app.js';
import { deepcuraWebhookRoutes } from './deepcura.js';
import { drchronoWebhookRoutes } from './drchrono-webhook.js';
import type { OutboxRelay } from '../../sync/events/relay.js';
import { labRoutes } from './lab-routes.js';
import { outboxRoutes } from './outbox-routes.js';
import { syncRoutes } from './sync-routes.js';

export interface DrChronoSyncDeps {
  readonly sql: Sql;
  readonly logger: Logger;
  /** The practice's IANA zone (DRCHRONO_TIMEZONE). */
  readonly timeZone: string;
  /** DRCHRONO_WEBHOOK_SECRET. */
  readonly webhookSecret: string;
  /** DEEPCURA_KEY, decoded (32 bytes). */
  readonly deepcuraKey: Buffer;
  /** DrChrono client and the rest of the sync's dependencies. */
  readonly sync: SyncDeps;
  /** Guards operator endpoints: Google OIDC (scheduler) or IAP + staff role (requireSchedulerOrStaff). */
  readonly operatorGuard: MiddlewareHandler;
  /** The outbox relay, for `POST /outbox/drain` (the scheduler's safety net). */
  readonly relay: Pick<OutboxRelay, 'drain'>;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
}

/** The drchrono-sync Cloud Run service: DrChrono webhooks, Deep Cura Gridhooks, sync triggers. */
export function createDrChronoSyncApp(deps: DrChronoSyncDeps) {
  const app = createBaseApp({ sql: deps.sql, logger: deps.logger, service: 'drchrono-sync' });
  app.route(
    '/',
    drchronoWebhookRoutes({
      sql: deps.sql,
      logger: deps.logger,
      timeZone: deps.timeZone,
      secret: deps.webhookSecret,
      afterApply: deps.sync.afterApply,
    }),
  );
  app.route(
    '/',
    deepcuraWebhookRoutes({
      sql: deps.sql,
      logger: deps.logger,
      key: deps.deepcuraKey,
      timeZone: deps.timeZone,
      ...(deps.clock ? { clock: deps.clock } : {}),
    }),
  );
  app.route('/', syncRoutes({ sync: deps.sync, guard: deps.operatorGuard, logger: deps.logger }));
  app.route('/', outboxRoutes({ relay: deps.relay, guard: deps.operatorGuard, logger: deps.logger }));
  app.route('/', labRoutes({ sql: deps.sql, guard: deps.operatorGuard, logger: deps.logger }));
  return app;
}
