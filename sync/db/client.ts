import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import * as schema from '../../schema/index.js';
import { cloudSqlIamPassword } from './cloudsql-iam.js';

export type Schema = typeof schema;
export type Db = PostgresJsDatabase<Schema>;

export interface DatabaseOptions {
  /** postgres:// connection URL. */
  readonly url: string;
  /** Pool size. @default 10 */
  readonly maxConnections?: number;
  /** Seconds to wait for a connection before failing (a down database must fail fast for /health). @default 5 */
  readonly connectTimeoutSeconds?: number;
  /** Application name shown in pg_stat_activity. @default 'feel-august' */
  readonly applicationName?: string;
  /**
   * `password`: the URL's password. `cloudsql-iam`: the URL names an IAM database user and no password; every new
   * connection logs in with a Cloud SQL IAM access token (DATABASE_AUTH).
   * @default 'password'
   */
  readonly auth?: 'password' | 'cloudsql-iam';
  /** Supplies the IAM token for `cloudsql-iam`. @default Application Default Credentials ({@link cloudSqlIamPassword}) */
  readonly iamPassword?: () => Promise<string>;
}

export interface Database {
  /** postgres.js client, for set-based SQL the query builder cannot express. */
  readonly sql: Sql;
  /** Drizzle over the same pool. */
  readonly db: Db;
  close(): Promise<void>;
}

/** The one place a database client is built; callers pass configuration in. */
export function createDatabase(options: DatabaseOptions): Database {
  const sql = postgres(options.url, {
    max: options.maxConnections ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 30,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'feel-august' },
    ...(options.auth === 'cloudsql-iam' && { pass: options.iamPassword ?? cloudSqlIamPassword() }),
  });
  return {
    sql,
    db: drizzle(sql, { schema }),
    close: () => sql.end({ timeout: 5 }),
  };
}
