import { migrateEnvSchema } from '../../contract/env.js';
import { migrateDatabase } from '../../sync/db/migrate.js';
import { parseEnv } from '../config.js';
import type { Io } from '../io.js';

/**
 * `platform migrate`: applies pending migrations to DATABASE_URL (idempotent) and grants DATABASE_APP_ROLE to every
 * login in DATABASE_APP_LOGINS. The Cloud Run job `platform-migrate` runs exactly this before each deploy.
 */
export async function migrateCommand(_argv: string[], io: Io): Promise<number> {
  const env = parseEnv(migrateEnvSchema, io.env);
  await migrateDatabase(env.DATABASE_URL, {
    auth: env.DATABASE_AUTH,
    appLogins: env.DATABASE_APP_LOGINS ?? [],
    appRole: env.DATABASE_APP_ROLE,
  });
  io.stdout(
    `migrations applied${env.DATABASE_APP_LOGINS?.length ? `; ${env.DATABASE_APP_ROLE} granted to ${env.DATABASE_APP_LOGINS.length} login(s)` : ''}\n`,
  );
  return 0;
}
