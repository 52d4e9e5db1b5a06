import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
export async function withBenchDatabase<T>(
  work: (db: Database & { url: string; postmasterPid: number }) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'platform-bench-'));
  const pg = await startLocalPostgres({ dataDir: path.join(dir, 'data'), persistent: false });
  try {
    const postmasterPid = Number((await readFile(path.join(dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    await admin`CREATE DATABASE bench`;
    await admin.end();
    const url = pg.urlFor('bench');
    await migrateDatabase(url);
    const db = createDatabase({ url, maxConnections: 4 });
    try {
      return await work({ ...db, url, postmasterPid });
    } finally {
      await db.close();
    }
  } finally {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** The fields of /proc/<pid>/stat after the parenthesised command: [0] state, [1] ppid, [11] utime, [12] stime, … */
function procStat(pid: number | string): string[] {
  return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
}

/**
 * CPU seconds (user + system) a process has used; with `reaped`, also what its exited children used (the postmaster
 * reaps every backend, so this covers connections that came and went).
 */
export function cpuSeconds(pid: number, options: { reaped?: boolean } = {}): number {
  const ticks = procStat(pid)
    .slice(11, options.reaped ? 15 : 13)
    .reduce((sum, f) => sum + Number(f), 0);
  return ticks / 100;
}

/** CPU seconds of every live process whose parent is `pid` (e.g. a postmaster's backends). */
export function childrenCpuSeconds(pid: number): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (Number(procStat(entry)[1]) === pid) total += cpuSeconds(Number(entry));
    } catch {
      // The process exited between listing and reading.
    }
  }
  return total;
}
