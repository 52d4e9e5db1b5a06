import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPubSubEmulator, type PubSubEmulator } from '../../../cli/pubsub-emulator.js';
import { createOutboxRelay, type OutboxRelay } from '../../../sync/events/relay.js';
import { createPubSubPublisher } from '../../../sync/events/pubsub-publisher.js';
import { setupPubSub } from '../../../sync/events/setup.js';
import { mirrors } from '../../../sync/mirrors.js';
import { softDeleteBatch, upsertRows } from '../../../sync/upsert.js';
import { inChangeTransaction } from '../../../sync/db/change-transaction.js';
import { captureLogs } from '../../harness/logs.js';
import { createPushDriver, type PushDriver } from '../../harness/pubsub.js';
import { waitFor } from '../../harness/wait.js';
import {
  expectCodaEqualsPostgres,
  gatedPublisher,
  patient,
  peek,
  pendingOutboxRows,
  PROJECT_ID,
  pump,
  settledComparison,
  sleep,
  startChain,
  type Chain,
} from './helpers.js';

// Our own emulator: this file stops and restarts it, which would break every other file on the shared one.
const TOPIC = 'change-events';
const PUBLISH_TIMEOUT_MS = 2_000;

let emulator: PubSubEmulator;
let chain: Chain;

const setup = () =>
  setupPubSub({
    projectId: PROJECT_ID,
    apiEndpoint: emulator.host,
    topic: TOPIC,
    maxDeliveryAttempts: 5,
    minimumBackoffSeconds: 0,
    maximumBackoffSeconds: 1,
  });

beforeAll(async () => {
  [emulator, chain] = await Promise.all([startPubSubEmulator({ port: 0, projectId: PROJECT_ID }), startChain()]);
  await setup();
});
afterAll(async () => {
  await Promise.all([emulator?.stop(), chain?.close()]);
});

describe('Pub/Sub emulator stopped and restarted while changes are being published', () => {
  it('loses nothing: every outbox row is published, the DLQ stays empty and every Coda row equals Postgres', async () => {
    const { sql } = chain.db;
    const relayLogs = captureLogs('drchrono-sync');
    const gate = gatedPublisher(
      createPubSubPublisher({ projectId: PROJECT_ID, topic: TOPIC, apiEndpoint: emulator.host }),
    );
    const relay: OutboxRelay = createOutboxRelay({
      sql,
      publisher: gate.publisher,
      logger: relayLogs.logger,
      intervalMs: 100,
      maxBackoffMs: 1_000,
      publishTimeoutMs: PUBLISH_TIMEOUT_MS,
    });
    const driver: PushDriver = createPushDriver({
      host: emulator.host,
      projectId: PROJECT_ID,
      subscription: `${TOPIC}-sub`,
      handler: chain.handler,
    });
    const delivery = pump(driver);

    // A steady stream of changes for the whole test: new patients, updates of earlier ones, now and then a delete.
    let writing = true;
    let next = 0;
    let batches = 0;
    const writer = (async () => {
      while (writing) {
        const fresh = Array.from({ length: 5 }, () => patient(next++));
        const updates = next > 20 ? [patient(next - 17, batches + 1), patient(next - 13, batches + 1)] : [];
        await upsertRows(sql, mirrors.patients, [...fresh, ...updates], { actor: 'test:pubsub-restart' });
        if (batches % 7 === 6) {
          await inChangeTransaction(sql, { actor: 'test:pubsub-restart' }, (tx) =>
            softDeleteBatch(tx, mirrors.patients, [String(700_000 + next - 9)]),
          );
        }
        batches++;
        await sleep(60);
      }
    })();
    const acked = () => new Set(driver.deliveries.filter((d) => d.acked).map((d) => d.messageId));

    try {
      await upsertRows(
        sql,
        mirrors.patients,
        Array.from({ length: 100 }, (_, i) => patient(10_000 + i)),
        { actor: 'test:pubsub-restart' },
      );
      await relay.start();
      await waitFor('the first deliveries', () => acked().size >= 5);

      // Stop at a moment when everything the emulator accepted has been acked. Real Pub/Sub keeps an accepted
      // message through an outage; the emulator keeps it in memory and loses it. Publishes that start meanwhile
      // wait at the gate and then meet the stopped emulator.
      gate.close();
      await waitFor('publishes in flight to settle', () => gate.inFlight() === 0);
      await waitFor('every accepted message to be acked', () => gate.accepted.every((id) => acked().has(id)));
      const acceptedBeforeStop = gate.accepted.length;
      const idsBeforeStop = new Set(gate.accepted);
      await emulator.stop();
      gate.open();

      // The outage: changes keep coming, the relay's publishes fail and their rows stay pending with attempts counted.
      const writesBeforeOutage = batches;
      await waitFor('a failed publish during the outage', async () => {
        const [row] = await sql<
          { n: string }[]
        >`SELECT count(*) AS n FROM outbox WHERE published_at IS NULL AND attempts > 0`;
        return Number(row!.n) > 0;
      });
      await sleep(1_000);
      expect(batches).toBeGreaterThan(writesBeforeOutage);
      expect(await pendingOutboxRows(chain)).toBeGreaterThan(0);

      // Restart on the same port and recreate the topology (the emulator forgot it). The gate holds new publishes
      // until the subscription exists again, and the wait lets every publish the relay still waits for time out:
      // a publish landing between the topic's and the subscription's creation would be accepted by a topic with no
      // subscriber — an emulator artefact, real Pub/Sub keeps its topology.
      gate.close();
      await sleep(PUBLISH_TIMEOUT_MS + 500);
      await emulator.restart();
      await setup();
      gate.open();
      const acceptedAtRestart = gate.accepted.length;

      // Changes keep coming for a while after the restart, then stop.
      await waitFor(
        'deliveries after the restart',
        () =>
          gate.accepted.length > acceptedAtRestart &&
          driver.deliveries.filter((d) => d.acked).length > acceptedBeforeStop,
      );
      await sleep(1_000);
      writing = false;
      await writer;

      await waitFor('the outbox to drain', async () => (await pendingOutboxRows(chain)) === 0, { timeoutMs: 30_000 });
      const [counts] = await sql<{ patients: string; deleted: string; outbox: string; retried: string }[]>`
        SELECT (SELECT count(*) FROM patients) AS patients, (SELECT count(*) FROM patients WHERE deleted_at IS NOT NULL) AS deleted,
               (SELECT count(*) FROM outbox) AS outbox, (SELECT count(*) FROM outbox WHERE attempts > 0) AS retried`;
      const result = await settledComparison(chain, 'patients', 10_000);
      expectCodaEqualsPostgres(result, Number(counts!.patients));
      expect(Number(counts!.deleted)).toBeGreaterThan(0);
      // Rows that were pending during the outage were published on a later attempt.
      expect(Number(counts!.retried)).toBeGreaterThan(0);
      expect(await pendingOutboxRows(chain)).toBe(0);
      expect(relayLogs.text()).toContain('outbox relay backing off');
      expect(relayLogs.text()).toContain('outbox relay recovered');
      // The restarted emulator numbered its messages from 1 again, so ids were reused; coda-push still pushed them
      // (a processed id only counts as a duplicate if it was recorded after the message's publishTime).
      expect(gate.accepted.slice(acceptedAtRestart).some((id) => idsBeforeStop.has(id))).toBe(true);
      expect(chain.logs.text()).not.toContain('change event already pushed');
      // Every push was accepted (no poison) and nothing was dead-lettered.
      expect(driver.deliveries.every((d) => d.status === 204)).toBe(true);
      expect(await peek(emulator.host, `${TOPIC}-dlq`, 500)).toEqual([]);
      console.info(
        `emulator restart: ${counts!.patients} patients (${counts!.deleted} deleted), ${counts!.outbox} outbox rows (${counts!.retried} retried), ${driver.deliveries.length} deliveries, ${delivery.errors()} pull errors`,
      );
    } finally {
      writing = false;
      await writer.catch(() => undefined);
      await relay.stop();
      await delivery.stop();
      await driver.close();
      await gate.publisher.close();
    }
  });
});
