import type { Hono } from 'hono';
import { z } from 'zod';
import { createCodaPushApp } from '../handlers/coda-push/app.js';
import { createDrChronoSyncApp } from '../handlers/drchrono-sync/app.js';
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { requirePushAuth, requireSchedulerOrStaff } from '../handlers/middleware/google-auth.js';
import { authEnvShape, authSettingsFromEnv, checkAuthEnv, createGoogleIdTokenVerifier, createIapVerifier, type AuthSettings } from '../sync/auth/index.js';
import { codaEnvShape, codaPushDepsFromEnv, validateMappingAgainstCoda } from '../sync/coda/index.js';
import { parseGridhookKey } from '../sync/deepcura/decrypt.js';
import { relinkAfterApply } from '../sync/drchrono/relink.js';
import { createHttpPublisher } from '../sync/events/http-publisher.js';
import { createPubSubPublisher } from '../sync/events/pubsub-publisher.js';
import { createOutboxRelay, type OutboxRelay } from '../sync/events/relay.js';
import type { Publisher } from '../sync/events/types.js';
import type { SyncDeps } from '../sync/drchrono/sync.js';
import { createDatabase, type Database } from '../sync/db/client.js';
import { createLogger, type Logger } from '../sync/observability/logger.js';
import { ConfigError, drchronoEnvSchema, parseEnv, serviceEnvSchema } from './config.js';
import { drchronoSyncDeps } from './drchrono.js';

export const serviceNames = ['drchrono-sync', 'coda-push'] as const;
export type ServiceName = (typeof serviceNames)[number];

export function isServiceName(value: string | undefined): value is ServiceName {
  return (serviceNames as readonly string[]).includes(value ?? '');
}

const deepcuraKey = z.string().refine((v) => {
  try {
    parseGridhookKey(v);
    return true;
  } catch {
    return false;
  }
}, 'must be 32 bytes, base64');

const eventBusShape = {
  EVENT_BUS: z.enum(['pubsub', 'http']).default('pubsub'),
  PUBSUB_PROJECT_ID: z.string().min(1).optional(),
  PUBSUB_TOPIC: z.string().regex(/^[A-Za-z][\w.~+%-]{2,254}$/, 'must be a Pub/Sub topic id').default('change-events'),
  PUBSUB_EMULATOR_HOST: z.string().regex(/^[\w.-]+:\d+$/, 'must be host:port').optional(),
  PUSH_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
};

/** Everything drchrono-sync reads from the environment (DESIGN §9). */
export const drchronoSyncEnvSchema = drchronoEnvSchema
  .extend({
    PORT: serviceEnvSchema.shape.PORT, DRCHRONO_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters'), DEEPCURA_KEY: deepcuraKey,
    ...eventBusShape, ...authEnvShape,
  })
  .superRefine((env, ctx) => {
    checkAuthEnv(env, ctx);
    if (env.EVENT_BUS === 'pubsub' && !env.PUBSUB_PROJECT_ID) ctx.addIssue({ code: 'custom', path: ['PUBSUB_PROJECT_ID'], message: "is required when EVENT_BUS is 'pubsub'" });
    if (env.EVENT_BUS === 'http' && !env.PUSH_ENDPOINT) ctx.addIssue({ code: 'custom', path: ['PUSH_ENDPOINT'], message: "is required when EVENT_BUS is 'http' (coda-push's /pubsub/push URL)" });
  });

type DrChronoSyncEnv = z.infer<typeof drchronoSyncEnvSchema>;

/** The change-event bus: Pub/Sub (cloud, emulator) or an HTTP POST of the push envelope straight to coda-push (local). */
function publisherFor(env: DrChronoSyncEnv): Publisher {
  if (env.EVENT_BUS === 'http') return createHttpPublisher({ endpoint: env.PUSH_ENDPOINT! });
  return createPubSubPublisher({
    projectId: env.PUBSUB_PROJECT_ID!, topic: env.PUBSUB_TOPIC, ...(env.PUBSUB_EMULATOR_HOST ? { apiEndpoint: env.PUBSUB_EMULATOR_HOST } : {}),
  });
}

/** Everything coda-push reads from the environment (DESIGN §9). */
export const codaPushEnvSchema = serviceEnvSchema.extend({ ...codaEnvShape, ...authEnvShape }).superRefine(checkAuthEnv);

/** Scheduler (OIDC) or IAP staff with the admin role; without OIDC settings nobody may call operator endpoints. */
function operatorGuard(auth: AuthSettings, database: Database, logger: Logger): MiddlewareHandler {
  if (!auth.oidc) {
    return async function operatorEndpointsDisabled() {
      throw new HTTPException(403, { message: 'operator endpoints need AUTH_OIDC_AUDIENCE and AUTH_OIDC_ALLOWED_EMAILS' });
    };
  }
  return requireSchedulerOrStaff({
    oidc: createGoogleIdTokenVerifier(auth.oidc),
    ...(auth.iap ? { iap: createIapVerifier(auth.iap) } : {}),
    sql: database.sql,
    staffRoles: ['admin'],
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
export async function buildService(name: ServiceName, env: NodeJS.ProcessEnv, extra: { syncDeps?: Partial<SyncDeps> } = {}): Promise<BuiltService> {
  if (name === 'coda-push') {
    const config = parseEnv(codaPushEnvSchema, env);
    const auth = authSettingsFromEnv(config);
    const logger = createLogger({ service: name, level: config.LOG_LEVEL });
    const database = createDatabase({ url: config.DATABASE_URL, maxConnections: config.DB_POOL_MAX, applicationName: name });
    try {
      const { client, mapping, mutationTimeoutMs } = codaPushDepsFromEnv(config, { sql: database.sql, logger });
      await validateMappingAgainstCoda(client, mapping);
      const pushAuth = auth.pushAuth === 'oidc' && auth.pushOidc
        ? requirePushAuth({ mode: 'oidc', oidc: createGoogleIdTokenVerifier(auth.pushOidc), logger, ...(auth.kService ? { kService: auth.kService } : {}) })
        : requirePushAuth({ mode: 'none', logger, ...(auth.kService ? { kService: auth.kService } : {}) });
      const app = createCodaPushApp({
        sql: database.sql, logger, coda: client, mapping, pushAuth, operatorGuard: operatorGuard(auth, database, logger), mutationTimeoutMs,
      }) as unknown as Hono;
      return { app, port: config.PORT, logger, database, start: async () => {}, close: () => database.close() };
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  const config = parseEnv(drchronoSyncEnvSchema, env);
  const auth = authSettingsFromEnv(config);
  if (!auth.oidc) throw new ConfigError('Invalid configuration; set these environment variables:\n  AUTH_OIDC_AUDIENCE, AUTH_OIDC_ALLOWED_EMAILS: drchrono-sync needs them to admit Cloud Scheduler');
  const logger = createLogger({ service: name, level: config.LOG_LEVEL });
  const database = createDatabase({ url: config.DATABASE_URL, maxConnections: config.DB_POOL_MAX, applicationName: name });
  const sync = drchronoSyncDeps(config, database, logger, { afterApply: relinkAfterApply(config.DRCHRONO_TIMEZONE), ...extra.syncDeps });
  const publisher = publisherFor(config);
  const relay = createOutboxRelay({ sql: database.sql, publisher, logger });
  const app = createDrChronoSyncApp({
    sql: database.sql, logger, timeZone: config.DRCHRONO_TIMEZONE, webhookSecret: config.DRCHRONO_WEBHOOK_SECRET,
    deepcuraKey: parseGridhookKey(config.DEEPCURA_KEY), sync, operatorGuard: operatorGuard(auth, database, logger), relay,
  }) as unknown as Hono;
  return {
    app, port: config.PORT, logger, database, relay,
    start: () => relay.start(),
    close: async () => {
      await relay.stop();
      await publisher.close();
      await database.close();
    },
  };
}
