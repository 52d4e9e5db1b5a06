import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FaultSpec } from '../../../sandbox/coda/index.js';
import {
  compareChain,
  describeComparison,
  outboxCounts,
  runPlatform,
  startChain,
  waitFor,
  type Chain,
} from '../../harness/chain.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';

// Coda answering storms of 429 and 5xx while a full load flows through the chain (both services as child processes
// on the HTTP event bus). coda-push retries with back-off inside a push and nacks when Coda keeps failing; the relay
// keeps those rows pending and publishes them again. Nothing is lost or doubled, and coda-push never sends Coda more
// than its 10 writes per 6 s — retries included.

const PATIENTS = 500;

/**
 * One storm on its own chain (database, sandboxes, both services as children). The two storms run side by side:
 * most of each one's time is spent waiting out Coda's 10 writes / 6 s, not computing, so together they take the
 * real time of one.
 */
async function withChain(
  seed: number,
  storm: readonly FaultSpec[],
  check: (faults: number, t: TestDatabase, chain: Chain) => Promise<void>,
): Promise<void> {
  const t = await createTestDatabase();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fault-coda-storm-'));
  const chain = await startChain({ dir, databaseUrl: t.url, patients: PATIENTS, seed });
  try {
    await pushThroughStorm(t, chain, storm);
    await check(
      storm.reduce((n, f) => n + (f.count ?? 0), 0),
      t,
      chain,
    );
  } finally {
    await chain.close();
    await t.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The initial load under a storm: a full sync (`platform sync all --full`, a child) commits every row and its outbox
 * row; then Coda starts failing and drchrono-sync starts, so its relay publishes the whole load at once into the
 * storm, as after a deploy or an outage.
 */
async function pushThroughStorm(t: TestDatabase, chain: Chain, storm: readonly FaultSpec[]): Promise<void> {
  const codaPush = await chain.startCodaPush();
  const synced = await runPlatform(['sync', 'all', '--full'], chain.drchronoSyncEnv());
  expect(synced.code, synced.output).toBe(0);
  expect((await outboxCounts(t.sql)).pending).toBeGreaterThan(PATIENTS * 5);
  const coda = chain.coda.sandbox.control;
  for (const fault of storm) coda.injectFaults(fault);
  const sync = await chain.startDrChronoSync();
  await waitFor(
    'every outbox row to be published',
    async () => {
      const drained = await chain.schedulerCall(sync, '/outbox/drain');
      return drained.status === 200 && (await outboxCounts(t.sql)).pending === 0;
    },
    { timeoutMs: 90_000, intervalMs: 500, detail: () => `${sync.output()}\n${codaPush.output()}` },
  );
}

async function expectNothingLostOrDoubled(faults: number, t: TestDatabase, chain: Chain) {
  const coda = chain.coda.sandbox.control;
  const stats = coda.stats();
  const faulted = stats.writeLog.filter((e) => e.status === 429 || e.status >= 500).length;
  expect(faulted, 'the storm hit the pushes').toBeGreaterThan(0);
  expect(faulted).toBeLessThanOrEqual(faults);
  const result = await compareChain(t.sql, chain);
  const detail = describeComparison(result);
  expect(
    result.tables.map((c) => c.table),
    detail,
  ).toEqual(expect.arrayContaining(['patients', 'appointments', 'providers']));
  expect(result.rows, detail).toBeGreaterThan(PATIENTS * 5);
  expect(result.missing, detail).toBe(0);
  expect(result.duplicates, detail).toBe(0);
  expect(result.mismatched, detail).toBe(0);
  expect(result.extra, detail).toBe(0);
  expect(await outboxCounts(t.sql)).toMatchObject({ pending: 0 });
  expect(stats.rowsPerUpsert.length, 'several upsert batches').toBeGreaterThan(5);
  expect(coda.peakWritesPerWindow(), 'Coda never saw more than 10 writes in 6 s').toBeLessThanOrEqual(10);
}

describe.concurrent('Coda storms while a full load is pushed over the HTTP event bus', () => {
  it("a storm of 30 rate-limit answers (429) delays the pushes but every row arrives once and the write rate stays under Coda's limit", async () => {
    await withChain(13, [{ status: 429, count: 30 }], expectNothingLostOrDoubled);
  });

  it("a storm of 30 server errors (500, 502, 503) delays the pushes but every row arrives once and the write rate stays under Coda's limit", async () => {
    await withChain(
      14,
      [
        { status: 500, count: 10 },
        { status: 502, count: 10 },
        { status: 503, count: 10 },
      ],
      expectNothingLostOrDoubled,
    );
  });
});
