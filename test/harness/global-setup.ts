import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { startLocalPostgres } from '../../cli/local/postgres.js';
import { migrateDatabase } from '../../sync/db/migrate.js';

export const TEMPLATE_DATABASE = 'platform_template';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL template of the harness's PostgreSQL 16: replace `{db}` with a database name. */
    pgUrlTemplate: string;
  }
}

/**
 * Starts one real PostgreSQL 16 for the whole run in a temp dir, migrates a template database once, and lets each
 * test file clone its own database from it (see ./database.ts). Tear-down stops the server and removes the dir.
 */
export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'platform-test-pg-'));
  const pg = await startLocalPostgres({ dataDir: path.join(dir, 'data'), persistent: false });
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  await admin.end();
  await migrateDatabase(pg.urlFor(TEMPLATE_DATABASE));
  project.provide('pgUrlTemplate', pg.urlFor('{db}'));
  return async () => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
