import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  compareChain,
  describeComparison,
  outboxCounts,
  startChain,
  startPushProxy,
  waitFor,
  type Chain,
  type PushProxy,
} from '../../harness/chain.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';

// drchrono-sync (the outbox relay's home) SIGKILLed at the two moments the transactional outbox exists for:
// after the change committed but before its event went out, and after the event went out but before the outbox row
// was marked published. Both services run as real child processes on the HTTP event bus.

const PATIENTS = 300;
let t: TestDatabase;
let dir: string;
let chain: Chain;
let proxy: PushProxy | undefined;

beforeEach(async () => {
  t = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'fault-drchrono-kill-'));
  chain = await startChain({ dir, databaseUrl: t.url, patients: PATIENTS, seed: 11 });
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await chain.close();
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

async function expectCodaEqualsPostgres() {
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
  return result;
}

describe('drchrono-sync killed with SIGKILL on the HTTP event bus', () => {
  it('after the sync committed and before any event was published, loses nothing: the restarted relay publishes every pending row', async () => {
    await chain.startCodaPush();
    proxy = await startPushProxy(chain.pushEndpoint);
    proxy.mode = 'hold';
    const sync = await chain.startDrChronoSync(proxy.url);

    const res = await chain.schedulerCall(sync, '/sync/all?full=true');
    expect(res.status, await res.clone().text()).toBe(200);
    // Every change is committed; the relay's first publish is stuck at the bus, so nothing is marked published.
    await waitFor('the relay to publish into the held bus', () => proxy!.open() > 0);
    const before = await outboxCounts(t.sql);
    expect(before.total).toBeGreaterThan(PATIENTS);
    expect(before.pending).toBe(before.total);

    expect(await sync.kill('SIGKILL')).toBe('SIGKILL');
    expect(chain.coda.sandbox.control.stats().writeCalls, 'no event reached Coda').toBe(0);
    expect(await outboxCounts(t.sql), 'the killed relay marked nothing').toEqual(before);

    // Restart on the real bus: the relay's first pass picks up everything still pending.
    const restarted = await chain.startDrChronoSync();
    await waitFor('every outbox row to be published', async () => (await outboxCounts(t.sql)).pending === 0, {
      timeoutMs: 40_000,
      detail: restarted.output,
    });
    const result = await expectCodaEqualsPostgres();
    expect(result.rows).toBeGreaterThan(PATIENTS);
  });

  it('after coda-push applied an event and before the relay marked it, republishes it and Coda still has each row once', async () => {
    await chain.startCodaPush();
    proxy = await startPushProxy(chain.pushEndpoint);
    proxy.mode = 'hold';
    const sync = await chain.startDrChronoSync(proxy.url);
    const res = await chain.schedulerCall(sync, '/sync/all?full=true');
    expect(res.status, await res.clone().text()).toBe(200);
    await waitFor('the relay to publish into the held bus', () => proxy!.open() > 0);

    // Now let the held events through to coda-push; the moment coda-push acknowledges one (Coda applied its rows),
    // kill drchrono-sync before the acknowledgement reaches the relay.
    let killed: Promise<number | string> | undefined;
    proxy.onSwallowed = (status) => {
      if (status === 204) killed ??= sync.kill('SIGKILL');
    };
    proxy.mode = 'swallow';
    proxy.release();
    await waitFor('coda-push to acknowledge an event and drchrono-sync to be killed', () => killed, {
      timeoutMs: 30_000,
      detail: sync.output,
    });
    expect(await killed).toBe('SIGKILL');

    const applied = chain.coda.sandbox.control.stats().rowsPerUpsert.reduce((a, b) => a + b, 0);
    expect(applied, 'Coda applied the event before the kill').toBeGreaterThan(0);
    const atKill = await outboxCounts(t.sql);
    expect(atKill.pending, 'yet no outbox row was marked published').toBe(atKill.total);

    const restarted = await chain.startDrChronoSync();
    await waitFor('every outbox row to be published', async () => (await outboxCounts(t.sql)).pending === 0, {
      timeoutMs: 40_000,
      detail: restarted.output,
    });
    const result = await expectCodaEqualsPostgres();
    const written = chain.coda.sandbox.control.stats().rowsPerUpsert.reduce((a, b) => a + b, 0);
    expect(written, 'the rows of the unmarked event were written to Coda a second time').toBeGreaterThanOrEqual(
      result.rows + applied,
    );
  });
});
