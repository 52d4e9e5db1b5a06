import type { Hono } from 'hono';
import { createCodaPushApp } from '../handlers/coda-push/app.js';
import { createDrChronoSyncApp } from '../handlers/drchrono-sync/app.js';
import type { Database } from '../sync/db/client.js';
import type { Logger } from '../sync/observability/logger.js';

export const serviceNames = ['drchrono-sync', 'coda-push'] as const;
export type ServiceName = (typeof serviceNames)[number];

export function isServiceName(value: string | undefined): value is ServiceName {
  return (serviceNames as readonly string[]).includes(value ?? '');
}

/** Builds one service's Hono app from its dependencies; shared by `platform serve` and `platform local`. */
export function createServiceApp(name: ServiceName, deps: { database: Database; logger: Logger }): Hono {
  const common = { sql: deps.database.sql, logger: deps.logger };
  return (name === 'drchrono-sync' ? createDrChronoSyncApp(common) : createCodaPushApp(common)) as unknown as Hono;
}
