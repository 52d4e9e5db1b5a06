import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DEFAULT_CLIENT, startDrChronoSandbox } from '../sandbox/drchrono/index.js';
import { syncLabs } from '../sync/drchrono/lab-sync.js';
import { mapLabRecords } from '../sync/drchrono/mappers.js';
import type { DrChronoLabResource, DrChronoRecord } from '../sync/drchrono/types.js';
import { round, withBenchDatabase, type BenchResult } from './harness.js';
import { benchDrChronoClient, spawnSandboxProcess } from './sandbox-sync.js';

// Labs: (1) a full lab sync (orders, tests, results walked whole) from the DrChrono sandbox in its own process into
// PostgreSQL 16, with the review queue and order statuses recomputed page by page; yardstick: COPY of the same mapped
// rows. (2) DrChrono calls per incremental lab cycle for a practice of BENCH_LABS_PATIENTS patients with
// BENCH_LABS_ORDERS_PER_DAY new orders a day, each order's results arriving 6 hours later and 5 % corrected an hour
// after that: the sandbox is driven cycle by cycle (15 minutes on a fake clock) and its call counter read.

const PATIENTS = Number(process.env.BENCH_LABS_PATIENTS ?? 10_000);
const ORDERS_PER_DAY = Number(process.env.BENCH_LABS_ORDERS_PER_DAY ?? 200);
const CYCLES_PER_DAY = 96;
const RESULT_LAG_CYCLES = 24;
const CORRECTION_LAG_CYCLES = 4;
// The sandbox writes its times zone-less in UTC (sandbox/synthetic/calendar.ts formatTimestamp), so the bench runs the
// practice in UTC: with another zone every `since` would reach back by the zone's offset (5 h for New York), and each
// cycle would re-read every order of those hours.
const TZ = 'UTC';
const TABLES: readonly DrChronoLabResource[] = ['lab_orders', 'lab_tests', 'lab_results'];

/** A Postgres array literal (`{"a","b"}`) for text[] columns. */
const pgArray = (items: unknown[]) =>
  `{${items.map((x) => `"${String(x).replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
const csv = (v: unknown) =>
  v === null || v === undefined
    ? ''
    : `"${(Array.isArray(v) ? pgArray(v) : typeof v === 'object' ? JSON.stringify(v) : String(v)).replaceAll('"', '""')}"`;

export async function benchLabs(): Promise<BenchResult> {
  const figures: Record<string, number | string> = {};
  const sandboxProcess = await spawnSandboxProcess(PATIENTS);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-labs-'));
  try {
    await withBenchDatabase(async ({ sql }) => {
      const { client, logger } = await benchDrChronoClient({
        baseUrl: sandboxProcess.url,
        pair: sandboxProcess.pair,
        sql,
        tokenPath: path.join(dir, 'token.json'),
      });

      // (1) Full lab sync.
      const started = performance.now();
      const results = await syncLabs({ sql, client, logger, timeZone: TZ }, 'full');
      const seconds = (performance.now() - started) / 1000;
      const rows = results.reduce((sum, r) => sum + r.seen, 0);
      figures['full_orders'] = results[0]!.seen;
      figures['full_tests'] = results[1]!.seen;
      figures['full_results'] = results[2]!.seen;
      figures['full_seconds'] = round(seconds, 2);
      figures['full_rows_per_s'] = round(rows / seconds);
      figures['full_api_calls'] = results.reduce((sum, r) => sum + r.apiCalls, 0);
      const [reviews] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM lab_reviews WHERE closed_at IS NULL`;
      figures['full_open_reviews'] = reviews!.n;

      // Yardstick: map the same objects and COPY them into empty copies of the three tables.
      const raws = new Map<DrChronoLabResource, DrChronoRecord[]>();
      for (const table of TABLES)
        raws.set(
          table,
          (await sql.unsafe<{ raw: DrChronoRecord }[]>(`SELECT raw FROM ${table} ORDER BY id`)).map((r) => r.raw),
        );
      for (const table of TABLES) await sql.unsafe(`CREATE TABLE ${table}_copy (LIKE ${table} INCLUDING ALL)`);
      const copyStarted = performance.now();
      for (const table of TABLES) {
        const records = raws.get(table)!;
        const columns = Object.keys(mapLabRecords(table, records.slice(0, 1), { timeZone: TZ })[0]!);
        const writable =
          await sql`COPY ${sql(`${table}_copy`)} (${sql(columns)}) FROM STDIN WITH (FORMAT csv)`.writable();
        await pipeline(
          Readable.from(
            (function* () {
              for (let i = 0; i < records.length; i += 250)
                yield mapLabRecords(table, records.slice(i, i + 250), { timeZone: TZ })
                  .map((r) => `${columns.map((c) => csv((r as Record<string, unknown>)[c])).join(',')}\n`)
                  .join('');
            })(),
          ),
          writable,
        );
      }
      const copySeconds = (performance.now() - copyStarted) / 1000;
      figures['copy_seconds'] = round(copySeconds, 2);
      figures['ratio_to_copy'] = round(copySeconds / seconds, 3);

      // (2) Incremental cycles against an in-process sandbox with the same data (same seed and size), on a fake clock.
      let now = Date.now();
      const clock = () => now;
      const sandbox = await startDrChronoSandbox({
        patientCount: PATIENTS,
        seed: 42,
        clock,
        hourlyCallBudget: 1_000_000_000,
      });
      try {
        const { client: local } = await benchDrChronoClient({
          baseUrl: sandbox.url,
          pair: sandbox.control.issueTokenPair(DEFAULT_CLIENT.clientId),
          sql,
          tokenPath: path.join(dir, 'token.json'),
          clock,
        });
        const deps = { sql, client: local, logger, timeZone: TZ, clock };
        const control = sandbox.control;
        let seed = 7;
        const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
        const created: { order: string; tests: string[]; results: string[]; cycle: number }[] = [];
        const perCycle: number[] = [];
        const warmup = RESULT_LAG_CYCLES + CORRECTION_LAG_CYCLES;
        for (let cycle = 0; cycle < warmup + CYCLES_PER_DAY; cycle++) {
          const due =
            Math.floor(((cycle + 1) * ORDERS_PER_DAY) / CYCLES_PER_DAY) -
            Math.floor((cycle * ORDERS_PER_DAY) / CYCLES_PER_DAY);
          for (let k = 0; k < due; k++) {
            const patient = control.get('patients', 1_000_000 + Math.floor(random() * PATIENTS))!;
            const order = control.create('lab_orders', {
              patient: patient['id'],
              doctor: patient['doctor'],
              status: 'S',
            });
            const tests = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
              String(control.create('lab_tests', { lab_order: order['id'], status: 'I' })['id']),
            );
            created.push({ order: String(order['id']), tests, results: [], cycle });
          }
          for (const o of created) {
            if (o.cycle + RESULT_LAG_CYCLES === cycle) {
              for (const test of o.tests) {
                control.update('lab_tests', test, { status: 'F' });
                for (let r = 0; r < 4; r++)
                  o.results.push(String(control.create('lab_results', { lab_test: Number(test), status: 'F' })['id']));
              }
              control.update('lab_orders', o.order, { status: 'R' });
            }
            if (o.cycle + RESULT_LAG_CYCLES + CORRECTION_LAG_CYCLES === cycle && random() < 0.05) {
              control.update('lab_results', o.results[0]!, { status: 'C', comments: 'Corrected report.' });
              control.update('lab_orders', o.order, { status: 'R' });
            }
          }
          now += 15 * 60_000;
          const before = control.callsUsed();
          await syncLabs(deps, 'incremental');
          if (cycle >= warmup) perCycle.push(control.callsUsed() - before);
        }
        const sorted = [...perCycle].sort((a, b) => a - b);
        const total = perCycle.reduce((a, b) => a + b, 0);
        figures['incremental_cycles_measured'] = perCycle.length;
        figures['incremental_calls_per_day'] = total;
        figures['incremental_calls_per_cycle_mean'] = round(total / perCycle.length, 2);
        figures['incremental_calls_per_cycle_p95'] = sorted[Math.floor(0.95 * sorted.length)]!;
        figures['incremental_calls_per_cycle_max'] = sorted[sorted.length - 1]!;
        figures['incremental_calls_per_hour_mean'] = round((total / perCycle.length) * 4, 1);
      } finally {
        await sandbox.close();
      }
    });
  } finally {
    sandboxProcess.child.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
  return {
    name: `labs: full sync of ${PATIENTS} patients' lab orders, tests and results; incremental calls at ${ORDERS_PER_DAY} orders/day`,
    figures,
  };
}
