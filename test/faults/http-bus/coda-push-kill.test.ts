import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareChain,
  describeComparison,
  outboxCounts,
  startChain,
  waitFor,
  type Chain,
} from '../../harness/chain.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';

// coda-push SIGKILLed while it is inside a push: Coda accepted its upsert (202) but has not applied it, so coda-push is
// polling mutationStatus and has not answered the event bus. The relay's publish fails, the rows stay pending, and the
// restarted coda-push receives them again.

const PATIENTS = 300;
let t: TestDatabase;
let dir: string;
let chain: Chain;

beforeAll(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fault-coda-push-kill-'));
  chain = await startChain({ dir, databaseUrl: t.url, patients: PATIENTS, seed: 12 });
});
afterAll(async () => {
  await chain.close();
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('coda-push killed with SIGKILL in the middle of a push', () => {
  it('leaves the event unacknowledged, the relay keeps its rows pending, and after a restart every row is in Coda exactly once', async () => {
    const codaPush = await chain.startCodaPush();
    const sync = await chain.startDrChronoSync();
    const coda = chain.coda.sandbox.control;
    // The first upsert is accepted (202) but never applied: coda-push waits on mutationStatus inside the push.
    coda.stallNextMutations(1);

    const synced = chain.schedulerCall(sync, '/sync/all?full=true');
    await waitFor('coda-push to be inside its first push', () => coda.stats().acceptedWrites >= 1, {
      detail: codaPush.output,
    });
    expect(await codaPush.kill('SIGKILL')).toBe('SIGKILL');
    const rowsInCodaAtKill = Object.values(chain.mapping.tables).reduce(
      (n, table) => n + coda.rows(table.tableId).length,
      0,
    );
    const stalledRows = coda.stats().rowsPerUpsert[0]!;
    expect(stalledRows, 'the push in flight carried rows').toBeGreaterThan(0);

    // The relay sees its publish fail and keeps the rows pending, counting the attempt.
    await waitFor(
      'the failed publish to be recorded',
      async () => {
        const [row] = await t.sql<
          { n: number }[]
        >`SELECT count(*)::int AS n FROM outbox WHERE published_at IS NULL AND attempts > 0`;
        return row!.n > 0;
      },
      { detail: sync.output },
    );

    const res = await synced;
    expect(res.status, await res.clone().text()).toBe(200);
    const restarted = await chain.startCodaPush();
    // Cloud Scheduler's safety net (the relay's own timer would get there too, after its back-off).
    await waitFor(
      'every outbox row to be published',
      async () => {
        const drained = await chain.schedulerCall(sync, '/outbox/drain');
        return drained.status === 200 && (await outboxCounts(t.sql)).pending === 0;
      },
      { timeoutMs: 40_000, intervalMs: 500, detail: () => `${sync.output()}\n${restarted.output()}` },
    );

    const result = await compareChain(t.sql, chain);
    const detail = describeComparison(result);
    expect(
      result.tables.map((c) => c.table),
      detail,
    ).toEqual(expect.arrayContaining(['patients', 'appointments', 'providers']));
    expect(result.missing, detail).toBe(0);
    expect(result.duplicates, detail).toBe(0);
    expect(result.mismatched, detail).toBe(0);
    expect(result.extra, detail).toBe(0);
    expect(await outboxCounts(t.sql)).toMatchObject({ pending: 0 });
    // The stalled upsert never applied, so its rows reached Coda only through the redelivery.
    expect(result.rows).toBeGreaterThanOrEqual(rowsInCodaAtKill + stalledRows);
    const [retried] = await t.sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM outbox WHERE attempts > 0 AND published_at IS NOT NULL`;
    expect(retried!.n, 'rows of the failed publish were published on a later attempt').toBeGreaterThan(0);
  });
});
