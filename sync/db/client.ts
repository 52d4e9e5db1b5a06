import postgres, { type Sql } from 'postgres';
import { cloudSqlIamPassword } from './cloudsql-iam.js';

// One query interface: postgres.js tagged templates (and `unsafe` for the SQL derived from the schema in
// sync/upsert.ts). The Drizzle tables in schema/ declare the database (migrations: drizzle-kit, sync/db/migrate.ts)
// and type the rows written to it (sync/upsert.ts MirrorRowOf); no Drizzle query client is built, so there is no
// second way to query.

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
  /** postgres.js client: every query the platform runs goes through it. */
  readonly sql: Sql;
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
  useTextWireFormats(sql);
  return {
    sql,
    close: () => sql.end({ timeout: 5 }),
  };
}

/** Date, time and timestamp types (and their arrays) plus numeric[]: read and written as Postgres prints them. */
const TEXT_TYPE_OIDS = [1184, 1082, 1083, 1114, 1182, 1185, 1115, 1231] as const;
/** json and jsonb: parameters are sent as given (callers pass JSON text); results are still parsed. */
const JSON_TYPE_OIDS = [114, 3802] as const;

/**
 * How values cross the wire, as the platform has always run: a timestamptz or date comes back as the string
 * Postgres printed (never a JS Date, so no zone or precision is lost) and a json/jsonb parameter is sent as the
 * text the caller built (upsertBatch's `JSON.stringify(rows)`). Building the Drizzle postgres-js client used to set
 * exactly this as a side effect (drizzle-orm/postgres-js `construct`); it is spelled out here now that no Drizzle
 * client is built. test/integration/db/client.test.ts holds it.
 */
function useTextWireFormats(sql: Sql): void {
  const asIs = (value: unknown) => value;
  for (const oid of TEXT_TYPE_OIDS) {
    sql.options.parsers[oid] = asIs;
    sql.options.serializers[oid] = asIs;
  }
  for (const oid of JSON_TYPE_OIDS) sql.options.serializers[oid] = asIs;
}
