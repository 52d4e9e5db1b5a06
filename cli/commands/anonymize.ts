import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { anonymizeEnvSchema } from '../../contract/env.js';
import {
  AnonymizeKeyError,
  AnonymizeSchemaError,
  AnonymizeTargetError,
  anonymizeDatabase,
  anonymizeReport,
  parseAnonymizeKey,
} from '../../sync/anonymize/index.js';
import { createDatabase } from '../../sync/db/client.js';
import { parseEnv } from '../config.js';
import type { Io } from '../io.js';

const USAGE = `usage: platform anonymize --from <source DATABASE_URL> --to <target DATABASE_URL> [--key-file <path>] [--strict-dates] [--report <path>]
  Copies a production snapshot into an empty, migrated staging database, de-identified by HIPAA Safe Harbor.
  key: --key-file <path> or env ANONYMIZE_KEY (≥ 32 bytes; the same key gives the same pseudonyms)
  env (the Cloud Run job): ANONYMIZE_SOURCE_URL, ANONYMIZE_TARGET_URL, ANONYMIZE_SOURCE_AUTH, ANONYMIZE_TARGET_AUTH (password | cloudsql-iam)
  --report <path> writes what was kept, shifted, generalised, replaced or dropped per table and column (Markdown)
`;

const NO_SOURCE_IN_THE_CLOUD =
  'In the cloud the job reads a point-in-time clone of prod, never prod itself: declare one with ' +
  'anonymizeStaging.sourcePointInTime in stacks/environments.ts and deploy prod (docs/runbooks/anonymize-staging.md).';

const NO_TARGET_IN_THE_CLOUD =
  "In the cloud the target is staging's instance: declare its PSC facts with anonymizeStaging.stagingSql in " +
  'stacks/environments.ts and deploy prod (docs/runbooks/anonymize-staging.md, one-time step 1).';

/** `platform anonymize`: exit 0 loaded, 64 usage, 78 configuration, 1 refused (target not empty/migrated) or failed. */
export async function anonymizeCommand(argv: string[], io: Io): Promise<number> {
  let values: {
    from?: string | undefined;
    to?: string | undefined;
    'key-file'?: string | undefined;
    'strict-dates'?: boolean | undefined;
    report?: string | undefined;
  };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        'key-file': { type: 'string' },
        'strict-dates': { type: 'boolean' },
        report: { type: 'string' },
      },
    }));
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 64;
  }
  const env = parseEnv(anonymizeEnvSchema, io.env);
  const from = values.from ?? env.ANONYMIZE_SOURCE_URL;
  const to = values.to ?? env.ANONYMIZE_TARGET_URL;
  if (!from) {
    io.stderr(`--from (or ANONYMIZE_SOURCE_URL) is required\n${NO_SOURCE_IN_THE_CLOUD}\n${USAGE}`);
    return 64;
  }
  if (!to) {
    io.stderr(`--to (or ANONYMIZE_TARGET_URL) is required\n${NO_TARGET_IN_THE_CLOUD}\n${USAGE}`);
    return 64;
  }
  if (from === to) {
    io.stderr('--from and --to are the same database; anonymize copies into a separate, empty database\n');
    return 64;
  }
  let keyText = env.ANONYMIZE_KEY;
  if (values['key-file']) keyText = await readFile(values['key-file'], 'utf8');
  if (!keyText) {
    io.stderr(`a key is required: --key-file <path> or ANONYMIZE_KEY\n${USAGE}`);
    return 64;
  }
  let key;
  try {
    key = parseAnonymizeKey(keyText);
  } catch (error) {
    if (!(error instanceof AnonymizeKeyError)) throw error;
    io.stderr(`platform anonymize: ${error.message}\n`);
    return 78;
  }
  const strictDates = values['strict-dates'] ?? false;

  const source = createDatabase({
    url: from,
    auth: env.ANONYMIZE_SOURCE_AUTH,
    maxConnections: 1,
    applicationName: 'platform-anonymize',
  });
  const target = createDatabase({
    url: to,
    auth: env.ANONYMIZE_TARGET_AUTH,
    maxConnections: 1,
    applicationName: 'platform-anonymize',
  });
  try {
    const result = await anonymizeDatabase({
      source: source.sql,
      target: target.sql,
      key,
      strictDates,
      onTable: (table, rows, seconds) =>
        io.stdout(`${table.padEnd(28)} ${String(rows).padStart(9)} rows  ${seconds.toFixed(1)} s\n`),
    });
    io.stdout(
      `anonymized ${result.rows} rows in ${result.tables.length} tables in ${result.seconds.toFixed(1)} s (${strictDates ? 'strict: dates keep the year only' : 'dates shifted per patient'})\n`,
    );
    if (values.report) {
      await writeFile(values.report, anonymizeReport({ strictDates }));
      io.stdout(`report written to ${values.report}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof AnonymizeTargetError || error instanceof AnonymizeSchemaError) {
      io.stderr(`platform anonymize: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}
