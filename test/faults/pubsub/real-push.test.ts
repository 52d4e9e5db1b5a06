import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type RunningServer } from '../../../handlers/server.js';
import { createOutboxRelay } from '../../../sync/events/relay.js';
import { createPubSubPublisher } from '../../../sync/events/pubsub-publisher.js';
import { setupPubSub } from '../../../sync/events/setup.js';
import { mirrors } from '../../../sync/mirrors.js';
import { softDeleteBatch, upsertRows } from '../../../sync/upsert.js';
import { inChangeTransaction } from '../../../sync/db/change-transaction.js';
import { captureLogs } from '../../harness/logs.js';
import { emulatorHost, uniqueTopic } from '../../harness/pubsub.js';
import {
  expectCodaEqualsPostgres,
  gatedPublisher,
  patient,
  peek,
  pendingOutboxRows,
  PROJECT_ID,
  settledComparison,
  sleep,
  startChain,
  type Chain,
} from './helpers.js';

// The emulator's own push subscription delivering to coda-push over HTTP: the happy path exactly as deployed,
// minus OIDC (the emulator attaches no token, so push auth is `none`).
let chain: Chain;
let server: RunningServer;

beforeAll(async () => {
  chain = await startChain();
  server = await listen(chain.app, { port: 0 });
});
afterAll(async () => {
  await server?.close();
  await chain?.close();
});

describe('relay → Pub/Sub emulator push subscription → coda-push over HTTP → Coda', () => {
  it('delivers inserts, updates and soft deletes once each; every Coda row equals Postgres field by field', async () => {
    const { sql } = chain.db;
    const host = emulatorHost();
    const topic = uniqueTopic('push');
    const setup = await setupPubSub({
      projectId: PROJECT_ID,
      apiEndpoint: host,
      topic,
      pushEndpoint: `${server.url}/pubsub/push`,
      minimumBackoffSeconds: 0,
      maximumBackoffSeconds: 0,
    });
    expect(setup.subscription).toBe(`projects/${PROJECT_ID}/subscriptions/${topic}-coda-push`);
    const bus = gatedPublisher(createPubSubPublisher({ projectId: PROJECT_ID, topic, apiEndpoint: host }));
    const relay = createOutboxRelay({
      sql,
      publisher: bus.publisher,
      logger: captureLogs('drchrono-sync').logger,
      intervalMs: 200,
    });
    const actor = { actor: 'test:real-push' };
    try {
      await relay.start();
      // A sync-sized page, then a few webhook-sized changes: updates and soft deletes of rows already in Coda.
      await upsertRows(
        sql,
        mirrors.patients,
        Array.from({ length: 600 }, (_, i) => patient(i)),
        actor,
      );
      for (let round = 1; round <= 4; round++) {
        await sleep(150);
        await upsertRows(
          sql,
          mirrors.patients,
          Array.from({ length: 10 }, (_, i) => patient(i * 7 + round, round)),
          actor,
        );
        await inChangeTransaction(sql, actor, (tx) =>
          softDeleteBatch(tx, mirrors.patients, [String(700_000 + 500 + round)]),
        );
      }
      const deadline = Date.now() + 30_000;
      while ((await pendingOutboxRows(chain)) > 0 && Date.now() < deadline) await sleep(100);
      expect(await pendingOutboxRows(chain)).toBe(0);

      const result = await settledComparison(chain);
      expectCodaEqualsPostgres(result, 600);
      const entry = chain.mapping.tables.patients!;
      const rows = chain.coda.control.rows(entry.tableId);
      expect(rows.filter((r) => r.values[entry.deletedColumn] === true)).toHaveLength(4);

      // Each published message was pushed once and recorded once: a 204 is an ack, so nothing came back.
      await sleep(1_000);
      const processed = await sql<
        { message_id: string; subscription: string }[]
      >`SELECT message_id, subscription FROM processed_messages`;
      expect(processed.map((p) => p.message_id).sort()).toEqual([...bus.accepted].sort());
      expect(processed.every((p) => p.subscription === setup.subscription)).toBe(true);
      const handled = chain.logs.lines().filter((l) => l.includes('"push handled"'));
      expect(handled).toHaveLength(bus.accepted.length);
      expect(handled.every((l) => l.includes('"outcome":"pushed"'))).toBe(true);
      // The relay coalesced the changes into messages of ≤ 500 ids (the 600-row page needs two), one Coda write
      // each, within the write limit.
      expect(bus.accepted.length).toBeGreaterThanOrEqual(2);
      const stats = chain.coda.control.stats();
      expect(stats.acceptedWrites).toBe(bus.accepted.length);
      expect(Math.max(...stats.rowsPerUpsert)).toBe(500);
      expect(chain.coda.control.peakWritesPerWindow(1_000)).toBeLessThanOrEqual(10);
      expect(await peek(host, `${topic}-dlq`, 500)).toEqual([]);
    } finally {
      await relay.stop();
      await bus.publisher.close();
    }
  });
});
