import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { startLocalPostgres } from '../cli/local/postgres.js';
import { createDatabase, type Database } from '../sync/db/client.js';
import { migrateDatabase } from '../sync/db/migrate.js';

/** What one benchmark reports: figures with units in their names, and the ratio to its yardstick. */
export interface BenchResult {
  readonly name: string;
  readonly figures: Record<string, number | string>;
}

/** A migrated PostgreSQL 16 in a temp dir for one benchmark run. */
export async function withBenchDatabase<T>(work: (db: Database & { url: string }) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'platform-bench-'));
  const pg = await startLocalPostgres({ dataDir: path.join(dir, 'data'), persistent: false });
  try {
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    await admin`CREATE DATABASE bench`;
    await admin.end();
    const url = pg.urlFor('bench');
    await migrateDatabase(url);
    const db = createDatabase({ url, maxConnections: 4 });
    try {
      return await work({ ...db, url });
    } finally {
      await db.close();
    }
  } finally {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export const round = (value: number, digits = 0) => Number(value.toFixed(digits));
