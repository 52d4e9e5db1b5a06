import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLocalPostgres, type LocalPostgres } from '../../../cli/local/postgres.js';
import { migrateDatabase } from '../../../sync/db/migrate.js';
import {
  compareChain,
  describeComparison,
  outboxCounts,
  startChain,
  waitFor,
  type Chain,
  type ServiceProcess,
} from '../../harness/chain.js';

// PostgreSQL itself restarted while drchrono-sync runs a full sync: the sync fails, the services (child processes on
// the HTTP event bus) stay up and reconnect their pools once Postgres is back, and a second sync plus the relay bring
// Coda level with Postgres. This test runs its own PostgreSQL 16 so it can stop it.
//
// postgres.js 3.4.9 used to crash the process here (the ROLLBACK of an open transaction written to a socket already
// gone, thrown from a setImmediate: porsager/postgres#1154, #1208); patches/postgres+3.4.9.patch carries the
// upstream guard (#1168/#1209), so the services must survive. The sync lock lives on a reserved connection, and
// releasing it after the restart used to put the dead connection back in the pool, where the next sync's reserve()
// found it again and again (porsager/postgres#1199; also patched, with #1195): the same instance must recover.

const PATIENTS = 300;
const DATABASE = 'platform';
let dir: string;
let pgPort: number;
let pg: LocalPostgres | undefined;
let sql: Sql;
let chain: Chain;

const startPostgres = () => startLocalPostgres({ dataDir: path.join(dir, 'pg'), port: pgPort, persistent: true });
const count = async (query: string) => Number((await sql.unsafe<{ n: number }[]>(query))[0]!.n);
const health = async (service: ServiceProcess) => (await fetch(`${service.url}/health`).catch(() => undefined))?.status;
const alive = (service: ServiceProcess) => service.child.exitCode === null && service.child.signalCode === null;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fault-pg-restart-'));
  pgPort = await freePort();
  pg = await startPostgres();
  const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${DATABASE}`);
  await admin.end();
  await migrateDatabase(pg.urlFor(DATABASE));
  sql = postgres(pg.urlFor(DATABASE), { max: 2, onnotice: () => {}, connect_timeout: 2 });
  chain = await startChain({ dir, databaseUrl: pg.urlFor(DATABASE), patients: PATIENTS, seed: 14 });
});
afterAll(async () => {
  await chain?.close();
  await sql?.end({ timeout: 1 }).catch(() => undefined);
  await pg?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('Postgres restarted during a full sync', () => {
  it('fails that sync and loses nothing: the services stay up, reconnect, and the next sync and drain leave Coda equal to Postgres', async () => {
    const codaPush = await chain.startCodaPush();
    const sync = await chain.startDrChronoSync();
    // Slow DrChrono down so the sync is still running when Postgres goes away.
    chain.drchrono.control.setLatencyMs(40);
    const first = chain.schedulerCall(sync, '/sync/all?full=true').then(
      (res) => res.status,
      () => 'connection lost',
    );
    await waitFor(
      'the sync to commit its first pages',
      async () => (await count('SELECT count(*) AS n FROM patients')) >= 100,
      { timeoutMs: 30_000, detail: sync.output },
    );

    await pg!.stop();
    pg = undefined;
    const failed = await first;
    expect([500, 'connection lost'], 'the sync in flight fails').toContain(failed);
    for (const service of [sync, codaPush]) {
      expect(alive(service), `${service.name} survives losing its database:\n${service.output()}`).toBe(true);
      expect(await health(service), `${service.name} reports the database down:\n${service.output()}`).toBe(503);
    }

    pg = await startPostgres();
    for (const service of [sync, codaPush]) {
      await waitFor(`${service.name} to be healthy again`, async () => (await health(service)) === 200, {
        timeoutMs: 20_000,
        detail: service.output,
      });
      expect(alive(service), `${service.name} stayed up`).toBe(true);
    }

    chain.drchrono.control.setLatencyMs(0);
    // Like Cloud Scheduler's retry policy: right after a restart an attempt can still meet a dying pooled connection.
    const attempts: string[] = [];
    const syncSucceeds = (timeoutMs: number) =>
      waitFor(
        'a full sync to succeed against the restarted Postgres',
        async () => {
          const second = await chain.schedulerCall(sync, '/sync/all?full=true');
          attempts.push(`${second.status} ${(await second.clone().text()).slice(0, 200)}`);
          return second.status === 200;
        },
        { timeoutMs, intervalMs: 1_000, detail: () => `${attempts.join('\n')}\n${sync.output()}` },
      );
    await syncSucceeds(60_000);
    await waitFor(
      'every outbox row to be published',
      async () => {
        const drained = await chain.schedulerCall(sync, '/outbox/drain');
        return drained.status === 200 && (await outboxCounts(sql)).pending === 0;
      },
      { timeoutMs: 40_000, intervalMs: 500, detail: () => `${sync.output()}\n${codaPush.output()}` },
    );

    expect(await count(`SELECT count(*) AS n FROM patients`)).toBe(PATIENTS);
    expect(await count(`SELECT count(*) AS n FROM sync_log WHERE status = 'running'`)).toBe(0);
    const result = await compareChain(sql, chain);
    const detail = describeComparison(result);
    expect(
      result.tables.map((c) => c.table),
      detail,
    ).toEqual(expect.arrayContaining(['patients', 'appointments', 'providers']));
    expect(result.missing, detail).toBe(0);
    expect(result.duplicates, detail).toBe(0);
    expect(result.mismatched, detail).toBe(0);
    expect(result.extra, detail).toBe(0);
    expect(await outboxCounts(sql)).toMatchObject({ pending: 0 });
  }, 240_000);
});
