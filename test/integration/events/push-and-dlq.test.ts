import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDeadLetters } from '../../../sync/events/dlq.js';
import { createPubSubPublisher } from '../../../sync/events/pubsub-publisher.js';
import { setupPubSub } from '../../../sync/events/setup.js';
import { encodeChangeEvent, pushEnvelopeSchema, type PushEnvelope } from '../../../sync/events/types.js';
import { createPushDriver, emulatorHost, pullAll, uniqueTopic } from '../../harness/pubsub.js';

const projectId = 'local';

describe.concurrent('push driver (pull subscription behaving like push)', () => {
  it('redelivers after non-2xx answers: a handler answering 500 three times then 204 sees deliveryAttempt 1..4', async () => {
    const topic = uniqueTopic('driver');
    await setupPubSub({
      projectId,
      apiEndpoint: emulatorHost(),
      topic,
      minimumBackoffSeconds: 0,
      maximumBackoffSeconds: 0,
    });
    const seen: PushEnvelope[] = [];
    const driver = createPushDriver({
      host: emulatorHost(),
      projectId,
      subscription: `${topic}-sub`,
      handler: async (request) => {
        seen.push(pushEnvelopeSchema.parse(await request.json()));
        return new Response(null, { status: seen.length <= 3 ? 500 : 204 });
      },
    });
    const publisher = createPubSubPublisher({ projectId, topic, apiEndpoint: emulatorHost() });
    try {
      const messageId = await publisher.publish(encodeChangeEvent({ table: 'patients', ids: [1, 2, 3] }));
      await driver.runUntil(() => driver.deliveries.some((d) => d.acked));
      expect(seen.map((e) => e.deliveryAttempt)).toEqual([1, 2, 3, 4]);
      expect(seen.every((e) => e.message.messageId === messageId && e.message.message_id === messageId)).toBe(true);
      expect(JSON.parse(Buffer.from(seen[0]!.message.data, 'base64').toString())).toEqual({
        table: 'patients',
        ids: [1, 2, 3],
      });
      expect(seen[0]!.subscription).toBe(`projects/local/subscriptions/${topic}-sub`);
      expect(driver.deliveries.map((d) => d.status)).toEqual([500, 500, 500, 204]);
      // Acked: nothing comes back.
      expect(await driver.pollOnce(500)).toBe(0);
    } finally {
      await publisher.close();
      await driver.close();
    }
  });

  it('dead-letters a message its handler always refuses after maxDeliveryAttempts, and replayDeadLetters brings it back once', async () => {
    const topic = uniqueTopic('dlq');
    await setupPubSub({
      projectId,
      apiEndpoint: emulatorHost(),
      topic,
      maxDeliveryAttempts: 5,
      minimumBackoffSeconds: 0,
      maximumBackoffSeconds: 0,
    });
    let healthy = false;
    const driver = createPushDriver({
      host: emulatorHost(),
      projectId,
      subscription: `${topic}-sub`,
      handler: async () => new Response(healthy ? null : 'poison', { status: healthy ? 204 : 500 }),
    });
    const publisher = createPubSubPublisher({ projectId, topic, apiEndpoint: emulatorHost() });
    try {
      const messageId = await publisher.publish(encodeChangeEvent({ table: 'appointments', ids: [42] }));
      // Five refused deliveries, then the emulator moves it to the dead-letter topic.
      await driver.runUntil(() => driver.deliveries.length >= 5);
      expect(driver.deliveries.map((d) => d.deliveryAttempt)).toEqual([1, 2, 3, 4, 5]);
      // The emulator dead-letters when the next delivery would be due (about 2 s later here); replay once it has.
      let moved: Awaited<ReturnType<typeof replayDeadLetters>> = [];
      const deadline = Date.now() + 20_000;
      while (moved.length === 0 && Date.now() < deadline) {
        expect(await driver.pollOnce(500)).toBe(0);
        moved = await replayDeadLetters({ projectId, apiEndpoint: emulatorHost(), topic });
      }
      expect(driver.deliveries).toHaveLength(5);
      expect(moved).toHaveLength(1);
      expect(moved[0]).toMatchObject({ deadLetterMessageId: expect.any(String), table: 'appointments', idCount: 1 });
      // The DLQ is empty now.
      expect(await replayDeadLetters({ projectId, apiEndpoint: emulatorHost(), topic, pullTimeoutMs: 500 })).toEqual(
        [],
      );

      healthy = true;
      await driver.runUntil(() => driver.deliveries.some((d) => d.acked));
      const last = driver.deliveries.at(-1)!;
      expect(last.messageId).toBe(moved[0]!.messageId);
      expect(last.messageId).not.toBe(messageId);
    } finally {
      await publisher.close();
      await driver.close();
    }
  });

  it('replays the same data and original attributes plus replayed_from_dlq, honouring --limit', async () => {
    const topic = uniqueTopic('dlqlimit');
    const setup = await setupPubSub({ projectId, apiEndpoint: emulatorHost(), topic });
    // Put three messages straight onto the dead-letter topic, as Pub/Sub would (with its source attributes).
    const dlq = createPubSubPublisher({ projectId, topic: `${topic}-dlq`, apiEndpoint: emulatorHost() });
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const message = encodeChangeEvent({ table: 'patients', ids: Array.from({ length: n }, (_, i) => i + 1) });
      ids.push(
        await dlq.publish({
          data: message.data,
          attributes: { ...message.attributes, CloudPubSubDeadLetterSourceSubscription: setup.subscription },
        }),
      );
    }
    await dlq.close();
    const first = await replayDeadLetters({ projectId, apiEndpoint: emulatorHost(), topic, limit: 2 });
    expect(first).toHaveLength(2);
    const rest = await replayDeadLetters({ projectId, apiEndpoint: emulatorHost(), topic, limit: 10 });
    expect(rest).toHaveLength(1);
    expect([...first, ...rest].map((m) => m.deadLetterMessageId).sort()).toEqual([...ids].sort());
    const arrived = await pullAll({ host: emulatorHost(), projectId, subscription: `${topic}-sub`, expect: 3 });
    expect(arrived).toHaveLength(3);
    for (const message of arrived) {
      const event = JSON.parse(message.data.toString()) as { table: string; ids: number[] };
      expect(message.attributes).toEqual({
        table: 'patients',
        count: String(event.ids.length),
        replayed_from_dlq: expect.any(String),
      });
      expect(ids).toContain(message.attributes.replayed_from_dlq);
    }
  });
});

describe("the emulator's own push subscription", () => {
  let server: Server;
  const bodies: unknown[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(body));
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('delivers the wrapped envelope that pushEnvelopeSchema accepts (happy path)', async () => {
    const topic = uniqueTopic('push');
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/pubsub/push`;
    await setupPubSub({ projectId, apiEndpoint: emulatorHost(), topic, pushEndpoint: endpoint });
    const publisher = createPubSubPublisher({ projectId, topic, apiEndpoint: emulatorHost() });
    try {
      const messageId = await publisher.publish(encodeChangeEvent({ table: 'patients', ids: [7] }));
      const deadline = Date.now() + 15_000;
      while (bodies.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const envelope = pushEnvelopeSchema.parse(bodies[0]);
      expect(envelope.message.messageId ?? envelope.message.message_id).toBe(messageId);
      expect(envelope.subscription).toBe(`projects/local/subscriptions/${topic}-coda-push`);
      expect(JSON.parse(Buffer.from(envelope.message.data, 'base64').toString())).toEqual({
        table: 'patients',
        ids: [7],
      });
    } finally {
      await publisher.close();
    }
  });
});
