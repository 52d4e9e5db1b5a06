import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { cloudSqlIamPassword } from './cloudsql-iam.js';

export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

export interface MigrateOptions {
  /** `cloudsql-iam`: log in with the runtime's Cloud SQL IAM token (the migration job). @default 'password' */
  readonly auth?: 'password' | 'cloudsql-iam';
  /** Supplies the IAM token for `cloudsql-iam`. @default Application Default Credentials */
  readonly iamPassword?: () => Promise<string>;
  /** Logins to grant `appRole` after migrating (the services' IAM database users). @default none */
  readonly appLogins?: readonly string[];
  /** @default 'platform_app' */
  readonly appRole?: string;
}

/** A login named in DATABASE_APP_LOGINS does not exist: its Terraform `google_sql_user` is missing or not applied yet. */
export class MissingLoginError extends Error {
  override name = 'MissingLoginError';
}

/**
 * Applies every migration in drizzle/ that the database has not seen (tracked in drizzle.__drizzle_migrations),
 * so running it twice is a no-op, then grants the application role to the services' logins (also idempotent).
 * Runs on its own single connection as the migration owner.
 * @throws {MissingLoginError} naming a login that does not exist
 */
export async function migrateDatabase(url: string, options: MigrateOptions = {}): Promise<void> {
  const sql = postgres(url, {
    max: 1,
    onnotice: () => {},
    ...(options.auth === 'cloudsql-iam' && { pass: options.iamPassword ?? cloudSqlIamPassword() }),
  });
  try {
    // Serialise concurrent migrators (two instances starting at once) on one advisory lock.
    await sql`SELECT pg_advisory_lock(hashtext('feel-august:migrate'))`;
    await migrate(drizzle(sql), { migrationsFolder });
    const role = options.appRole ?? 'platform_app';
    for (const login of options.appLogins ?? []) {
      const [found] = await sql`SELECT 1 FROM pg_roles WHERE rolname = ${login}`;
      if (!found)
        throw new MissingLoginError(
          `database login "${login}" does not exist; apply its google_sql_user (CLOUD_IAM_SERVICE_ACCOUNT) first`,
        );
      await sql.unsafe(`GRANT ${quoteIdent(role)} TO ${quoteIdent(login)}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
