import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodaPushApp } from '../../../handlers/coda-push/app.js';
import { requirePushAuth } from '../../../handlers/middleware/google-auth.js';
import { listen, type RunningServer } from '../../../handlers/server.js';
import { startLocalCoda, type LocalCoda } from '../../../cli/local/coda.js';
import type { FaultSpec } from '../../../sandbox/coda/index.js';
import {
  createCodaClient,
  createCodaRateLimiter,
  loadCodaMapping,
  type CodaMapping,
} from '../../../sync/coda/index.js';
import { applyRecords } from '../../../sync/drchrono/apply.js';
import { createHttpPublisher } from '../../../sync/events/http-publisher.js';
import { createOutboxRelay, type OutboxRelay } from '../../../sync/events/relay.js';
import { inChangeTransaction } from '../../../sync/db/change-transaction.js';
import { compareCodaWithPostgres } from '../../harness/coda-compare.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';
import { outboxCounts, waitFor } from '../../harness/chain.js';

// "After a Coda outage, an older version of a row overwrites the newer one in Coda, for good": rows keep changing
// while Coda answers 429/503 for longer than the relay's publish timeout (the relay gives up and publishes the rows
// again) and than the push deadline (the HTTP bus aborts the push). Pushes of the first version are still retrying
// when pushes of newer versions land. Coda must end equal to Postgres, field by field, every round.
//
// Runs in one process (real Postgres, the real coda-push app and relay over loopback HTTP, the Coda sandbox) so the
// timeouts can be scaled down to make each round a few seconds: publish timeout 600 ms, push deadline 1 s, storm
// 2.5 s, Coda client retries up to ~4 s.

const TZ = 'America/New_York';
const PATIENTS = 12;
const ROUNDS_PER_STORM = 4;
const PUBLISH_TIMEOUT_MS = 600;
const PUSH_DEADLINE_MS = 1_000;
const STORM_MS = 2_500;

const logs = captureLogs('coda-stale');
let t: TestDatabase;
let dir: string;
let coda: LocalCoda;
let mapping: CodaMapping;
let codaPush: RunningServer;
let relay: OutboxRelay;
let version = 0;

const patientAt = (i: number, v: number) => ({
  id: 7_000_000 + i,
  first_name: `Version${v}`,
  last_name: `Stale${i}`,
  gender: 'Other',
  patient_status: 'A',
  updated_at: new Date(Date.UTC(2026, 0, 1) + v * 1000).toISOString().slice(0, 19),
});

async function change(i: number): Promise<void> {
  version += 1;
  const record = patientAt(i, version);
  await inChangeTransaction(t.sql, { actor: 'test:stale' }, (tx) =>
    applyRecords(tx, 'patients', [record], { timeZone: TZ }),
  );
}

beforeAll(async () => {
  t = await createTestDatabase({ maxConnections: 10 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'fault-coda-stale-'));
  // Coda's rate limit is not what this test is about: raise it so a round takes seconds, not minutes.
  coda = await startLocalCoda(dir, { rateLimits: { writesPerWindow: 1000, readsPerWindow: 1000 } });
  mapping = await loadCodaMapping(coda.env.CODA_MAPPING!);
  const client = createCodaClient({
    baseUrl: coda.env.CODA_BASE_URL,
    token: coda.env.CODA_API_TOKEN!,
    sql: t.sql,
    logger: logs.logger,
    rateLimiter: createCodaRateLimiter({ writesPerWindow: 1000, readsPerWindow: 1000 }),
    retries: 10,
    retryMinDelayMs: 100,
    retryMaxDelayMs: 1_500,
  });
  const app = createCodaPushApp({
    sql: t.sql,
    logger: logs.logger,
    coda: client,
    mapping,
    pollIntervalMs: 20,
    mutationTimeoutMs: 10_000,
    pushAuth: requirePushAuth({ mode: 'none', logger: logs.logger }),
    operatorGuard: async () => {
      throw new Error('not used');
    },
  });
  codaPush = await listen(app, { port: 0 });
  const publisher = createHttpPublisher({ endpoint: `${codaPush.url}/pubsub/push`, timeoutMs: PUSH_DEADLINE_MS });
  relay = createOutboxRelay({
    sql: t.sql,
    publisher,
    logger: logs.logger,
    publishTimeoutMs: PUBLISH_TIMEOUT_MS,
    intervalMs: 100,
    maxBackoffMs: 300,
  });
  for (let i = 0; i < PATIENTS; i++) await change(i);
  await relay.start();
  await settled();
});

afterAll(async () => {
  await relay?.stop();
  await codaPush?.close();
  await coda?.sandbox.close();
  await t?.drop();
  await rm(dir, { recursive: true, force: true });
});

/** The outbox is drained and Coda has seen no write for long enough that no retry is still on its way. */
async function settled(): Promise<void> {
  const control = coda.sandbox.control;
  let lastWrites = -1;
  let quietSince = Date.now();
  await waitFor(
    'the chain to settle (outbox drained, Coda quiet)',
    async () => {
      const writes = control.stats().writeCalls;
      if (writes !== lastWrites) {
        lastWrites = writes;
        quietSince = Date.now();
      }
      return (await outboxCounts(t.sql)).pending === 0 && Date.now() - quietSince > 2_500;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

async function stormRound(fault: FaultSpec): Promise<string[]> {
  const control = coda.sandbox.control;
  control.injectFaults({ ...fault, durationMs: STORM_MS, scope: 'writes' });
  // Every row changes twice inside the storm: pushes of the first change are still retrying (and the relay has given
  // up on them and published again) when the second change commits; all of them land when the storm ends.
  for (let i = 0; i < PATIENTS; i++) await change(i);
  await new Promise((r) => setTimeout(r, STORM_MS / 2));
  for (let i = 0; i < PATIENTS; i++) await change(i);
  await settled();
  const comparison = await compareCodaWithPostgres(t.sql, mapping, (tableId) => control.rows(tableId), 'patients');
  expect(comparison.missing).toEqual([]);
  expect(comparison.duplicates).toEqual([]);
  return comparison.mismatched;
}

describe('rows changing while Coda fails for longer than the publish timeout and the push deadline', () => {
  const storms: [string, FaultSpec][] = [
    ['503 without Retry-After', { status: 503 }],
    ['429 with Retry-After', { status: 429, retryAfterSeconds: 1 }],
    ['429 without Retry-After', { status: 429 }],
  ];
  for (const [name, fault] of storms) {
    it(`${name}: after each of ${ROUNDS_PER_STORM} storms Coda equals Postgres field by field (no older version left)`, async () => {
      const before = coda.sandbox.control.stats().writeLog.filter((e) => e.status === fault.status).length;
      for (let round = 0; round < ROUNDS_PER_STORM; round++) {
        expect(await stormRound(fault), `round ${round + 1}: patients whose Coda row is an older version`).toEqual([]);
      }
      const faulted = coda.sandbox.control.stats().writeLog.filter((e) => e.status === fault.status).length - before;
      expect(faulted, 'the storm hit the pushes').toBeGreaterThan(ROUNDS_PER_STORM);
      expect(logs.text(), 'the relay gave up on pushes and published again').toMatch(
        /publish not confirmed within|PublishTimeoutError|push endpoint unreachable/,
      );
    }, 180_000);
  }
});
