import { spawn } from 'node:child_process';
import path from 'node:path';
import os from 'node:os';
import { round, type BenchResult } from './harness.js';

const SIZES = (process.env.BENCH_SYNC_SIZES ?? '100000').split(',').map(Number);

interface ChildFigures {
  patients: number;
  rows: number;
  seconds: number;
  copySeconds: number;
  peakRssMb: number;
  baselineRssMb: number;
  apiCalls: number;
  cpu: { sync: number; sandbox: number; postgres: number };
}

function runChild(patients: number): Promise<ChildFigures> {
  return new Promise((resolve, reject) => {
    // The same V8 setting as the container image (Dockerfile NODE_OPTIONS), so peak RSS is what production sees.
    const child = spawn(
      process.execPath,
      [
        '--max-semi-space-size=4',
        '--import',
        'tsx',
        path.join(import.meta.dirname, 'full-sync-child.ts'),
        String(patients),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildFigures)
        : reject(new Error(`full-sync child exited ${code}`)),
    );
  });
}

/**
 * Full sync of patients (with their insurance rows) from the DrChrono sandbox, in its own process, into PostgreSQL 16,
 * one fresh process per size so peak RSS is the sync's own. Yardstick: COPY of the same mapped rows, same server.
 * `BENCH_SYNC_SIZES=100000,1000000` shows whether memory stays flat as the count grows.
 */
export async function benchFullSync(): Promise<BenchResult> {
  const figures: Record<string, number | string> = {};
  for (const size of SIZES) {
    const r = await runChild(size);
    const k = size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`;
    figures[`${k}_seconds`] = round(r.seconds, 1);
    figures[`${k}_patients_per_s`] = round(r.patients / r.seconds);
    figures[`${k}_rows_per_s`] = round(r.rows / r.seconds);
    figures[`${k}_ratio_to_copy`] = round(r.copySeconds / r.seconds, 3);
    figures[`${k}_peak_rss_mb`] = round(r.peakRssMb);
    figures[`${k}_baseline_rss_mb`] = round(r.baselineRssMb);
    figures[`${k}_api_calls`] = r.apiCalls;
    const cpuTotal = r.cpu.sync + r.cpu.sandbox + r.cpu.postgres;
    figures[`${k}_cpu_s_sync_process`] = round(r.cpu.sync, 1);
    figures[`${k}_cpu_s_sandbox`] = round(r.cpu.sandbox, 1);
    figures[`${k}_cpu_s_postgres`] = round(r.cpu.postgres, 1);
    // With every core busy the whole run, wall time could not go below this.
    figures[`${k}_cpu_floor_seconds`] = round(cpuTotal / os.availableParallelism(), 1);
  }
  figures['goal'] = '100k < 10 s, peak RSS < 250 MB, flat to 1M';
  return { name: `full sync DrChrono sandbox → Postgres (patients + insurance), sizes ${SIZES.join(', ')}`, figures };
}
