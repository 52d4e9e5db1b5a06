import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createSyntheticDataset } from '../sandbox/synthetic/index.js';
import type { DrChronoRecord } from '../sync/drchrono/types.js';
import { mapRecords } from '../sync/drchrono/mappers.js';
import { syncResource } from '../sync/drchrono/sync.js';
import { childrenCpuSeconds, cpuSeconds, withBenchDatabase } from './harness.js';
import { benchDrChronoClient, spawnSandboxProcess } from './sandbox-sync.js';

// One full sync of N patients (sandbox in another process → this process → PostgreSQL 16), then the COPY yardstick.
// Prints one JSON line; run in a fresh process per size so peak RSS belongs to this sync alone.
const patients = Number(process.argv[2] ?? 100_000);
const TZ = 'America/New_York';

const { child: sandbox, url, pair } = await spawnSandboxProcess(patients);
const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-sync-'));
try {
  const result = await withBenchDatabase(async ({ sql, postmasterPid }) => {
    const { client, logger } = await benchDrChronoClient({
      baseUrl: url,
      pair,
      sql,
      tokenPath: path.join(dir, 'token.json'),
    });
    const baselineRss = process.memoryUsage().rss;
    let peakRss = baselineRss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    // Where the CPU goes: this process (fetch, parse, map, encode), the DrChrono stand-in, and PostgreSQL.
    const postgresCpu = () => cpuSeconds(postmasterPid, { reaped: true }) + childrenCpuSeconds(postmasterPid);
    const cpuBefore = { sync: process.cpuUsage(), sandbox: cpuSeconds(sandbox.pid!), postgres: postgresCpu() };
    const started = performance.now();
    const sync = await syncResource({ sql, client, logger, timeZone: TZ }, 'patients', 'full');
    const seconds = (performance.now() - started) / 1000;
    const syncCpu = process.cpuUsage(cpuBefore.sync);
    const cpu = {
      sync: (syncCpu.user + syncCpu.system) / 1e6,
      sandbox: cpuSeconds(sandbox.pid!) - cpuBefore.sandbox,
      postgres: postgresCpu() - cpuBefore.postgres,
    };
    clearInterval(sampler);
    const [{ rows }] =
      (await sql`SELECT (SELECT count(*) FROM patients) + (SELECT count(*) FROM insurance_records) AS rows`) as unknown as [
        { rows: string },
      ];

    // Yardstick: COPY the same mapped rows (patients + insurance) into empty copies of the tables, same server.
    await sql`CREATE TABLE patients_copy (LIKE patients INCLUDING ALL)`;
    await sql`CREATE TABLE insurance_copy (LIKE insurance_records INCLUDING ALL)`;
    const dataset = createSyntheticDataset({ seed: 42, patientCount: patients });
    const csv = (v: unknown) =>
      v === null || v === undefined
        ? ''
        : `"${(typeof v === 'object' ? JSON.stringify(v) : String(v)).replaceAll('"', '""')}"`;
    const copyStarted = performance.now();
    for (const [table, key] of [
      ['patients_copy', 'patients'],
      ['insurance_copy', 'insurance_records'],
    ] as const) {
      const columns = Object.keys(
        mapRecords('patients', [dataset.patient(0) as DrChronoRecord], { timeZone: TZ })[key]![0]!,
      );
      const writable = await sql`COPY ${sql(table)} (${sql(columns)}) FROM STDIN WITH (FORMAT csv)`.writable();
      await pipeline(
        Readable.from(
          (function* () {
            for (let i = 0; i < patients; i += 250) {
              const page = Array.from(
                { length: Math.min(250, patients - i) },
                (_, k) => dataset.patient(i + k) as DrChronoRecord,
              );
              const mapped = mapRecords('patients', page, { timeZone: TZ })[key]!;
              yield mapped
                .map((r) => `${columns.map((c) => csv((r as Record<string, unknown>)[c])).join(',')}\n`)
                .join('');
            }
          })(),
        ),
        writable,
      );
    }
    const copySeconds = (performance.now() - copyStarted) / 1000;
    return {
      patients,
      rows: Number(rows),
      seconds,
      copySeconds,
      peakRssMb: peakRss / 2 ** 20,
      baselineRssMb: baselineRss / 2 ** 20,
      apiCalls: sync.apiCalls,
      cpu,
    };
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  sandbox.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
}
