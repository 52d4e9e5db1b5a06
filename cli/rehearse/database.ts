import { randomBytes } from 'node:crypto';
import path from 'node:path';
import postgres from 'postgres';
import { iamDatabaseUser } from '../../contract/index.js';
import { startLocalPostgres, type LocalPostgres } from '../local/postgres.js';
import { DriftError, type RehearsalStack } from './stack.js';

// Cloud SQL stood in for by the local PostgreSQL 16: the stack's database, and one LOGIN role per `google_sql_user`,
// named exactly like the IAM database user and with the access token of that identity's metadata stand-in as its
// password, so a login with the token works the way Cloud SQL IAM authentication does.
//
// The migration identity gets what Cloud SQL's one-time bootstrap gives it (README: `GRANT cloudsqlsuperuser TO
// "<migrate user>"`): CREATEROLE and ownership of the database, not superuser — cloudsqlsuperuser is not a superuser
// either, so a migration that needs one fails here as it would in Cloud SQL.

export interface RehearsalDatabase {
  readonly pg: LocalPostgres;
  readonly name: string;
  /** The logins created, by name. */
  readonly logins: readonly string[];
  /** Superuser connection to the stack's database, for the rehearsal's own checks. */
  readonly adminUrl: string;
  stop(): Promise<void>;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * @param port where the services' DATABASE_URL points (their host:port redirected to 127.0.0.1:<port>)
 * @param tokens access token of each identity, by service-account email
 * @param migrateEmail the migration job's service account
 */
export async function startRehearsalDatabase(
  stack: RehearsalStack,
  dir: string,
  port: number,
  tokens: ReadonlyMap<string, string>,
  migrateEmail: string,
): Promise<RehearsalDatabase> {
  const [name, ...others] = stack.databases;
  if (!name || others.length > 0)
    throw new DriftError('google_sql_database', `expected one database, the stack creates ${stack.databases.length}`);
  const pg = await startLocalPostgres({ dataDir: path.join(dir, 'pg'), port, persistent: false });
  try {
    const byUser = new Map([...tokens].map(([email, token]) => [iamDatabaseUser(email), token]));
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    const logins: string[] = [];
    try {
      await admin.unsafe(`CREATE DATABASE ${ident(name)}`);
      for (const user of stack.sqlUsers) {
        const password = byUser.get(user.name) ?? randomBytes(24).toString('hex');
        await admin.unsafe(`CREATE ROLE ${ident(user.name)} LOGIN PASSWORD ${literal(password)}`);
        logins.push(user.name);
      }
      const migrateUser = iamDatabaseUser(migrateEmail);
      if (logins.includes(migrateUser)) {
        await admin.unsafe(`ALTER ROLE ${ident(migrateUser)} CREATEROLE`);
        await admin.unsafe(`ALTER DATABASE ${ident(name)} OWNER TO ${ident(migrateUser)}`);
      }
    } finally {
      await admin.end();
    }
    return { pg, name, logins, adminUrl: pg.urlFor(name), stop: () => pg.stop() };
  } catch (error) {
    await pg.stop();
    throw error;
  }
}
