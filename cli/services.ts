import type { Hono } from 'hono';
import { createCodaPushApp } from '../handlers/coda-push/app.js';
import { createDrChronoSyncApp } from '../handlers/drchrono-sync/app.js';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { requirePushAuth, requireSchedulerOrStaff } from '../handlers/middleware/google-auth.js';
import {
  codaPushEnvSchema,
  drchronoSyncEnvSchema,
  SERVICE_NAMES,
  type DrChronoSyncEnv,
  type ServiceName,
} from '../contract/index.js';
import {
  authSettingsFromEnv,
  createGoogleIdTokenVerifier,
  createIapVerifier,
  type AuthSettings,
} from '../sync/auth/index.js';
import { codaPushDepsFromEnv, validateMappingAgainstCoda } from '../sync/coda/index.js';
import { parseGridhookKey } from '../sync/deepcura/decrypt.js';
import { relinkAfterApply } from '../sync/drchrono/relink.js';
import { createHttpPublisher } from '../sync/events/http-publisher.js';
import { createPubSubPublisher } from '../sync/events/pubsub-publisher.js';
import { createOutboxRelay, type OutboxRelay } from '../sync/events/relay.js';
import type { Publisher } from '../sync/events/types.js';
import type { SyncDeps } from '../sync/drchrono/sync.js';
import { createDatabase, type Database } from '../sync/db/client.js';
import { createLogger, type Logger } from '../sync/observability/logger.js';
import { ConfigError, parseEnv } from './config.js';
import { drchronoSyncDeps } from './drchrono.js';

export { SERVICE_NAMES as serviceNames } from '../contract/index.js';
export type { ServiceName } from '../contract/index.js';

export function isServiceName(value: string | undefined): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value ?? '');
}

export { codaPushEnvSchema, drchronoSyncEnvSchema } from '../contract/index.js';

/** The change-event bus: Pub/Sub (cloud, emulator) or an HTTP POST of the push envelope straight to coda-push (local). */
function publisherFor(env: DrChronoSyncEnv): Publisher {
  if (env.EVENT_BUS === 'http') return createHttpPublisher({ endpoint: env.PUSH_ENDPOINT! });
  return createPubSubPublisher({
    projectId: env.PUBSUB_PROJECT_ID!,
    topic: env.PUBSUB_TOPIC,
    ...(env.PUBSUB_EMULATOR_HOST ? { apiEndpoint: env.PUBSUB_EMULATOR_HOST } : {}),
  });
}

/**
 * Scheduler (OIDC) or IAP staff with an operator role (`admin`, `billing` for the billing sync, `clinician` to
 * acknowledge lab reviews — each route narrows
 * it with requireStaffRole); without OIDC settings nobody may call operator endpoints.
 */
function operatorGuard(auth: AuthSettings, database: Database, logger: Logger): MiddlewareHandler {
  if (!auth.oidc) {
    return async function operatorEndpointsDisabled() {
      throw new HTTPException(403, {
        message: 'operator endpoints need AUTH_OIDC_AUDIENCE and AUTH_OIDC_ALLOWED_EMAILS',
      });
    };
  }
  return requireSchedulerOrStaff({
    oidc: createGoogleIdTokenVerifier(auth.oidc),
    ...(auth.iap ? { iap: createIapVerifier(auth.iap) } : {}),
    sql: database.sql,
    staffRoles: ['admin', 'billing', 'clinician'],
    logger,
  });
}

export interface BuiltService {
  readonly app: Hono;
  readonly port: number;
  readonly logger: Logger;
  readonly database: Database;
  /** drchrono-sync's outbox relay (started by `start()`); `drain()` publishes everything pending now. */
  readonly relay?: OutboxRelay;
  /** Starts background work (the outbox relay) once the server listens. */
  start(): Promise<void>;
  /** Stops background work and closes the pool. */
  close(): Promise<void>;
}

/**
 * Builds one service from its environment: validates every variable first (one ConfigError listing all
 * problems), then the database pool, logger and Hono app. coda-push also checks its column map against the live
 * Coda doc before it is returned, so a broken map stops the start-up with the missing column's name.
 * Shared by `platform serve` and `platform local`.
 */
export async function buildService(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  extra: { syncDeps?: Partial<SyncDeps> } = {},
): Promise<BuiltService> {
  if (name === 'coda-push') {
    const config = parseEnv(codaPushEnvSchema, env);
    const auth = authSettingsFromEnv(config);
    const logger = createLogger({ service: name, level: config.LOG_LEVEL });
    const database = createDatabase({
      url: config.DATABASE_URL,
      auth: config.DATABASE_AUTH,
      maxConnections: config.DB_POOL_MAX,
      applicationName: name,
    });
    try {
      const { client, mapping, mutationTimeoutMs } = codaPushDepsFromEnv(config, { sql: database.sql, logger });
      await validateMappingAgainstCoda(client, mapping);
      const pushAuth =
        auth.pushAuth === 'oidc' && auth.pushOidc
          ? requirePushAuth({
              mode: 'oidc',
              oidc: createGoogleIdTokenVerifier(auth.pushOidc),
              logger,
              ...(auth.kService ? { kService: auth.kService } : {}),
            })
          : requirePushAuth({ mode: 'none', logger, ...(auth.kService ? { kService: auth.kService } : {}) });
      const app = createCodaPushApp({
        sql: database.sql,
        logger,
        coda: client,
        mapping,
        pushAuth,
        operatorGuard: operatorGuard(auth, database, logger),
        mutationTimeoutMs,
      }) as unknown as Hono;
      return { app, port: config.PORT, logger, database, start: async () => {}, close: () => database.close() };
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  const config = parseEnv(drchronoSyncEnvSchema, env);
  const auth = authSettingsFromEnv(config);
  if (!auth.oidc)
    throw new ConfigError(
      'Invalid configuration; set these environment variables:\n  AUTH_OIDC_AUDIENCE, AUTH_OIDC_ALLOWED_EMAILS: drchrono-sync needs them to admit Cloud Scheduler',
    );
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  const database = createDatabase({
    url: config.DATABASE_URL,
    auth: config.DATABASE_AUTH,
    maxConnections: config.DB_POOL_MAX,
    applicationName: name,
  });
  const sync = drchronoSyncDeps(config, database, logger, {
    afterApply: relinkAfterApply(config.DRCHRONO_TIMEZONE),
    ...extra.syncDeps,
  });
  const publisher = publisherFor(config);
  const relay = createOutboxRelay({ sql: database.sql, publisher, logger });
  const app = createDrChronoSyncApp({
    sql: database.sql,
    logger,
    timeZone: config.DRCHRONO_TIMEZONE,
    webhookSecret: config.DRCHRONO_WEBHOOK_SECRET,
    deepcuraKey: parseGridhookKey(config.DEEPCURA_KEY),
    sync,
    operatorGuard: operatorGuard(auth, database, logger),
    relay,
  }) as unknown as Hono;
  return {
    app,
    port: config.PORT,
    logger,
    database,
    relay,
    start: () => relay.start(),
    close: async () => {
      await relay.stop();
      await publisher.close();
      await database.close();
    },
  };
}
