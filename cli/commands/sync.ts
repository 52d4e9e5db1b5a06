import { parseArgs } from 'node:util';
import {
  syncAll,
  syncBilling,
  syncLabs,
  syncResource,
  type ResourceSyncResult,
  type SyncKind,
} from '../../sync/drchrono/sync.js';
import type { DrChronoResource } from '../../sync/drchrono/types.js';
import { createDatabase } from '../../sync/db/client.js';
import { createLogger } from '../../sync/observability/logger.js';
import { drchronoEnvSchema, parseEnv } from '../config.js';
import { drchronoSyncDeps } from '../drchrono.js';
import type { Io } from '../io.js';

/** Table names as operators say them, mapped to DrChrono resources. */
const targets: Record<string, DrChronoResource> = {
  providers: 'doctors',
  doctors: 'doctors',
  patients: 'patients',
  appointments: 'appointments',
  'clinical-notes': 'clinical_notes',
  clinical_notes: 'clinical_notes',
  medications: 'medications',
  problems: 'problems',
  allergies: 'allergies',
  'line-items': 'line_items',
  line_items: 'line_items',
  transactions: 'transactions',
  insurance_transactions: 'transactions',
  'patient-payments': 'patient_payments',
  patient_payments: 'patient_payments',
};

const USAGE = `usage: platform sync <${Object.keys(targets).join('|')}|billing|labs|all> [--full | --deep] [--since YYYY-MM-DDTHH:MM:SS]\n`;

export function formatResults(results: readonly ResourceSyncResult[]): string {
  const rows = results.map(
    (r) =>
      `  ${r.resource.padEnd(16)} ${r.kind.padEnd(16)} seen ${String(r.seen).padStart(7)}  changed ${String(r.changed).padStart(7)}  deleted ${String(r.deleted).padStart(5)}  calls ${String(r.apiCalls).padStart(5)}`,
  );
  return `${rows.join('\n')}\n`;
}

/** `platform sync <table|billing|labs|all>`: incremental by default; `--full` walks everything; `--deep` also soft-deletes what DrChrono no longer returns. */
export async function syncCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { full: { type: 'boolean' }, deep: { type: 'boolean' }, since: { type: 'string' } },
  });
  const [target] = positionals;
  if (!target || (target !== 'all' && target !== 'billing' && target !== 'labs' && !Object.hasOwn(targets, target))) {
    io.stderr(USAGE);
    return 64;
  }
  const kind: SyncKind = values.deep ? 'deep_reconcile' : values.full ? 'full' : 'incremental';
  const env = parseEnv(drchronoEnvSchema, io.env);
  const logger = createLogger({ service: 'drchrono-sync', level: env.LOG_LEVEL });
  const database = createDatabase({
    url: env.DATABASE_URL,
    auth: env.DATABASE_AUTH,
    maxConnections: env.DB_POOL_MAX,
    applicationName: 'platform-sync',
  });
  try {
    const deps = drchronoSyncDeps(env, database, logger);
    const options = values.since ? { since: values.since } : {};
    const results =
      target === 'all'
        ? await syncAll(deps, kind, options)
        : target === 'billing'
          ? await syncBilling(deps, kind, options)
          : target === 'labs'
            ? await syncLabs(deps, kind, options)
            : [await syncResource(deps, targets[target]!, kind, options)];
    io.stdout(formatResults(results));
    return 0;
  } finally {
    await database.close();
  }
}
