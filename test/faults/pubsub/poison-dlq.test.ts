import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../../cli/io.js';
import { dlqCommand } from '../../../cli/commands/dlq.js';
import { createOutboxRelay } from '../../../sync/events/relay.js';
import { createPubSubPublisher } from '../../../sync/events/pubsub-publisher.js';
import { setupPubSub } from '../../../sync/events/setup.js';
import type { OutgoingMessage } from '../../../sync/events/types.js';
import { mirrors } from '../../../sync/mirrors.js';
import { upsertRows } from '../../../sync/upsert.js';
import { captureLogs } from '../../harness/logs.js';
import { createPushDriver, emulatorHost, pullAll, uniqueTopic } from '../../harness/pubsub.js';
import { waitFor } from '../../harness/wait.js';
import {
  compare,
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
  waitForMessages,
  type Chain,
} from './helpers.js';

// Poison messages over the shared emulator. Its push subscriptions never redeliver or dead-letter (DESIGN §7.4), so
// a pull subscription with the configured dead-letter policy plus the harness push driver stands in for push.
const MAX_ATTEMPTS = 5;
let chain: Chain;

beforeAll(async () => {
  chain = await startChain();
});
afterAll(async () => {
  await chain?.close();
});

/** The wiring for one topic: topology with a dead-letter policy, a relay, and a push driver into coda-push. */
async function wire(prefix: string) {
  const topic = uniqueTopic(prefix);
  const host = emulatorHost();
  await setupPubSub({
    projectId: PROJECT_ID,
    apiEndpoint: host,
    topic,
    maxDeliveryAttempts: MAX_ATTEMPTS,
    minimumBackoffSeconds: 0,
    maximumBackoffSeconds: 0,
  });
  const bus = gatedPublisher(createPubSubPublisher({ projectId: PROJECT_ID, topic, apiEndpoint: host }));
  const relay = createOutboxRelay({
    sql: chain.db.sql,
    publisher: bus.publisher,
    logger: captureLogs('drchrono-sync').logger,
  });
  const driver = createPushDriver({
    host,
    projectId: PROJECT_ID,
    subscription: `${topic}-sub`,
    handler: chain.handler,
  });
  const delivery = pump(driver);
  let out = '';
  let err = '';
  const io: Io = {
    env: { PUBSUB_PROJECT_ID: PROJECT_ID, PUBSUB_TOPIC: topic, PUBSUB_EMULATOR_HOST: host },
    stdout: (text) => (out += text),
    stderr: (text) => (err += text),
  };
  /** `platform dlq replay` in-process; resolves with its exit code and output. */
  const replay = async (...args: string[]) => {
    out = '';
    err = '';
    const code = await dlqCommand(['replay', ...args], io);
    return { code, stdout: out, stderr: err };
  };
  const deliveriesOf = (messageId: string) => driver.deliveries.filter((d) => d.messageId === messageId);
  return {
    topic,
    host,
    bus,
    relay,
    driver,
    replay,
    deliveriesOf,
    close: async () => {
      await delivery.stop();
      await driver.close();
      await bus.publisher.close();
    },
  };
}

describe('a poison message: its rows were deleted from Postgres before the push', () => {
  it(`is refused ${MAX_ATTEMPTS} times, lands on the DLQ, and once the row is restored platform dlq replay brings it back and it is applied`, async () => {
    const { sql } = chain.db;
    const w = await wire('poison');
    try {
      // Message A: 20 healthy patients. Message B: 5 patients, one of which is then hard-deleted (no soft delete,
      // as an operator's mistaken DELETE would do) before the relay publishes.
      await upsertRows(
        sql,
        mirrors.patients,
        Array.from({ length: 20 }, (_, i) => patient(i)),
        { actor: 'test:poison' },
      );
      expect(await w.relay.drain()).toMatchObject({ published: 20, messages: 1, failed: 0 });
      await upsertRows(
        sql,
        mirrors.patients,
        Array.from({ length: 5 }, (_, i) => patient(100 + i)),
        { actor: 'test:poison' },
      );
      const [gone] = await sql<{ id: string }[]>`DELETE FROM patients WHERE drchrono_id = '700102' RETURNING id`;
      expect(await w.relay.drain()).toMatchObject({ published: 5, messages: 1, failed: 0 });
      const [healthyId, poisonId] = w.bus.accepted;

      await waitFor(
        'message A to be pushed and message B to be refused on every attempt',
        () => w.deliveriesOf(healthyId!).some((d) => d.acked) && w.deliveriesOf(poisonId!).length >= MAX_ATTEMPTS,
      );
      const dead = await waitForMessages(w.host, `${w.topic}-dlq`, 1);
      const refused = w.deliveriesOf(poisonId!);
      expect(refused.map((d) => [d.deliveryAttempt, d.status])).toEqual([1, 2, 3, 4, 5].map((n) => [n, 422]));
      expect(dead).toHaveLength(1);
      expect(JSON.parse(dead[0]!.data.toString())).toEqual({
        table: 'patients',
        ids: expect.arrayContaining([Number(gone!.id)]),
      });
      expect(dead[0]!.attributes).toMatchObject({
        table: 'patients',
        count: '5',
        CloudPubSubDeadLetterSourceDeliveryCount: String(MAX_ATTEMPTS),
      });
      // No sixth delivery: the subscription gave up on it.
      await sleep(1_000);
      expect(w.deliveriesOf(poisonId!)).toHaveLength(MAX_ATTEMPTS);
      // Meanwhile Coda has A's rows and none of B's: coda-push refuses a message whole, never half.
      const meanwhile = await compare(chain);
      expect(meanwhile.codaRows).toBe(20);
      expect([...meanwhile.missing].sort()).toEqual(['700100', '700101', '700103', '700104']);

      // The fix: restore the deleted row, with its id, from the audit trail (change_log keeps the row as it was).
      await sql`
        INSERT INTO patients SELECT * FROM jsonb_populate_record(NULL::patients,
          (SELECT before FROM change_log WHERE table_name = 'patients' AND op = 'DELETE' AND row_id = ${gone!.id}))`;
      const replayed = await w.replay();
      expect(replayed).toMatchObject({ code: 0, stderr: '' });
      expect(replayed.stdout).toMatch(/table=patients {2}ids=5\n/);
      expect(replayed.stdout).toContain(`moved 1 message(s) from ${w.topic}-dlq to ${w.topic}`);
      const republished = /-> (\S+)/.exec(replayed.stdout)![1]!;

      await waitFor('the replayed message to be pushed', () => w.deliveriesOf(republished).some((d) => d.acked));
      expect(w.deliveriesOf(republished).map((d) => d.status)).toEqual([204]);
      const result = await settledComparison(chain);
      expectCodaEqualsPostgres(result, 25);
      expect(await pendingOutboxRows(chain)).toBe(0);
      expect(await peek(w.host, `${w.topic}-dlq`, 500)).toEqual([]);
      expect((await w.replay()).stdout).toContain('moved 0 message(s)');
    } finally {
      await w.close();
    }
  });
});

describe('a malformed message: data that is not a valid change event', () => {
  it(`is refused with 400 ${MAX_ATTEMPTS} times and dead-lettered intact; replay cannot fix it, so it returns to the DLQ and the operator discards it`, async () => {
    const { sql } = chain.db;
    const w = await wire('malformed');
    // Straight onto the topic, past the relay (which only ever publishes valid events): a buggy or foreign publisher.
    const rogue = createPubSubPublisher({ projectId: PROJECT_ID, topic: w.topic, apiEndpoint: w.host });
    try {
      await upsertRows(
        sql,
        mirrors.patients,
        Array.from({ length: 10 }, (_, i) => patient(200 + i)),
        { actor: 'test:malformed' },
      );
      expect(await w.relay.drain()).toMatchObject({ published: 10, failed: 0 });
      const bad: OutgoingMessage[] = [
        { data: Buffer.from('not json at all'), attributes: {} },
        { data: Buffer.from('{"table":"patients","ids":[]}'), attributes: { table: 'patients' } },
        { data: Buffer.from('{"table":"invoices","ids":[1]}'), attributes: { table: 'invoices', count: '1' } },
      ];
      const badIds = await Promise.all(bad.map((m) => rogue.publish(m)));

      await waitFor(
        'every malformed message to be refused on every attempt',
        () =>
          w.driver.deliveries.some((d) => d.acked) && badIds.every((id) => w.deliveriesOf(id).length >= MAX_ATTEMPTS),
      );
      for (const id of badIds) expect(w.deliveriesOf(id).map((d) => d.status)).toEqual(Array(MAX_ATTEMPTS).fill(400));
      const dead = await waitForMessages(w.host, `${w.topic}-dlq`, 3);
      // Dead-lettered byte for byte: the evidence is kept for whoever fixes the publisher.
      expect(dead.map((m) => m.data.toString()).sort()).toEqual(bad.map((m) => m.data.toString()).sort());
      expect(chain.logs.text()).toMatch(/invalid message data|invalid change event/);
      expect(chain.logs.text()).toContain('unknown table');

      // "Fixed" for a malformed message: there is nothing to repair in it — the data is the defect, and the
      // changes it may have meant to announce live in Postgres and go out through the outbox. Replaying it is
      // harmless: it is refused again, returns to the DLQ after the same number of attempts, and is not retried forever.
      const replayed = await w.replay();
      expect(replayed.code).toBe(0);
      expect(replayed.stdout).toContain('moved 3 message(s)');
      const again = [...replayed.stdout.matchAll(/-> (\S+)/g)].map((m) => m[1]!);
      await waitFor('the replayed messages to be refused on every attempt', () =>
        again.every((id) => w.deliveriesOf(id).length >= MAX_ATTEMPTS),
      );
      const back = await waitForMessages(w.host, `${w.topic}-dlq`, 3);
      expect(back.map((m) => m.data.toString()).sort()).toEqual(bad.map((m) => m.data.toString()).sort());
      expect(back.every((m) => m.attributes.replayed_from_dlq !== undefined)).toBe(true);

      // So the operator discards them (`gcloud pubsub subscriptions pull <topic>-dlq --auto-ack`), leaving the DLQ empty.
      const discarded = await pullAll({
        host: w.host,
        projectId: PROJECT_ID,
        subscription: `${w.topic}-dlq`,
        expect: 3,
      });
      expect(discarded).toHaveLength(3);
      expect(await peek(w.host, `${w.topic}-dlq`, 500)).toEqual([]);
      expect(again.every((id) => w.deliveriesOf(id).length === MAX_ATTEMPTS)).toBe(true);

      // Nothing the platform published was affected: Coda equals Postgres and the outbox is fully published.
      const result = await settledComparison(chain);
      expectCodaEqualsPostgres(result, Number((await sql<{ n: string }[]>`SELECT count(*) AS n FROM patients`)[0]!.n));
      expect(await pendingOutboxRows(chain)).toBe(0);
    } finally {
      await rogue.close();
      await w.close();
    }
  });
});
