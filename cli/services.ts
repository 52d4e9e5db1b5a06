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

/** Everything drchrono-sync reads from the environment (DESIGN §9). */
export const drchronoSyncEnvSchema = drchronoEnvSchema
  .extend({ PORT: serviceEnvSchema.shape.PORT, DRCHRONO_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters'), DEEPCURA_KEY: deepcuraKey, ...authEnvShape })
  .superRefine(checkAuthEnv);

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
      const pushAuth = auth.pushAuth === 'oidc' && auth.oidc
        ? requirePushAuth({ mode: 'oidc', oidc: createGoogleIdTokenVerifier(auth.oidc), logger, ...(auth.kService ? { kService: auth.kService } : {}) })
        : requirePushAuth({ mode: 'none', logger, ...(auth.kService ? { kService: auth.kService } : {}) });
      const app = createCodaPushApp({
        sql: database.sql, logger, coda: client, mapping, pushAuth, operatorGuard: operatorGuard(auth, database, logger), mutationTimeoutMs,
      }) as unknown as Hono;
      return { app, port: config.PORT, logger, database, close: () => database.close() };
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
  const app = createDrChronoSyncApp({
    sql: database.sql, logger, timeZone: config.DRCHRONO_TIMEZONE, webhookSecret: config.DRCHRONO_WEBHOOK_SECRET,
    deepcuraKey: parseGridhookKey(config.DEEPCURA_KEY), sync, operatorGuard: operatorGuard(auth, database, logger),
  }) as unknown as Hono;
  return { app, port: config.PORT, logger, database, close: () => database.close() };
}
