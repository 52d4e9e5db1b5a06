import { describe, expect, it } from 'vitest';
import { pubsubClients } from '../../../sync/events/pubsub-clients.js';
import { PubSubSetupError, setupPubSub } from '../../../sync/events/setup.js';
import { emulatorHost, uniqueTopic } from '../../harness/pubsub.js';

const projectId = 'local';

describe('setupPubSub against the emulator', () => {
  it('creates the topic, a pull subscription with dead-letter and retry policies, the DLQ topic and its subscription', async () => {
    const topic = uniqueTopic();
    const result = await setupPubSub({ projectId, apiEndpoint: emulatorHost(), topic, maxDeliveryAttempts: 7 });
    expect(result.resources.map((r) => [r.kind, r.name.split('/').pop(), r.action])).toEqual([
      ['topic', topic, 'created'],
      ['topic', `${topic}-dlq`, 'created'],
      ['subscription', `${topic}-dlq`, 'created'],
      ['subscription', `${topic}-sub`, 'created'],
    ]);
    const clients = pubsubClients({ projectId, apiEndpoint: emulatorHost() });
    try {
      const [sub] = await clients.subscriber.getSubscription({ subscription: result.subscription });
      expect(sub.topic).toBe(`projects/local/topics/${topic}`);
      expect(sub.pushConfig?.pushEndpoint ?? '').toBe('');
      expect(sub.deadLetterPolicy).toMatchObject({
        deadLetterTopic: `projects/local/topics/${topic}-dlq`,
        maxDeliveryAttempts: 7,
      });
      expect(Number(sub.retryPolicy?.minimumBackoff?.seconds)).toBe(10);
      expect(Number(sub.retryPolicy?.maximumBackoff?.seconds)).toBe(600);
      expect(sub.ackDeadlineSeconds).toBe(60);
      const [dlqSub] = await clients.subscriber.getSubscription({ subscription: result.deadLetterSubscription });
      expect(dlqSub.topic).toBe(`projects/local/topics/${topic}-dlq`);
    } finally {
      await clients.close();
    }
  });

  it('is idempotent: a second run changes nothing, and a changed push endpoint updates the subscription in place', async () => {
    const topic = uniqueTopic();
    const options = { projectId, apiEndpoint: emulatorHost(), topic, pushEndpoint: 'http://127.0.0.1:9/pubsub/push' };
    const first = await setupPubSub(options);
    expect(first.subscription).toBe(`projects/local/subscriptions/${topic}-coda-push`);
    const second = await setupPubSub(options);
    expect(second.resources.every((r) => r.action === 'unchanged')).toBe(true);
    const third = await setupPubSub({
      ...options,
      pushEndpoint: 'http://127.0.0.1:10/pubsub/push',
      maxDeliveryAttempts: 9,
    });
    expect(third.resources.find((r) => r.name === first.subscription)?.action).toBe('updated');
    const clients = pubsubClients({ projectId, apiEndpoint: emulatorHost() });
    try {
      const [sub] = await clients.subscriber.getSubscription({ subscription: first.subscription });
      expect(sub.pushConfig?.pushEndpoint).toBe('http://127.0.0.1:10/pubsub/push');
      expect(sub.deadLetterPolicy?.maxDeliveryAttempts).toBe(9);
    } finally {
      await clients.close();
    }
    const fourth = await setupPubSub({
      ...options,
      pushEndpoint: 'http://127.0.0.1:10/pubsub/push',
      maxDeliveryAttempts: 9,
    });
    expect(fourth.resources.every((r) => r.action === 'unchanged')).toBe(true);
  });

  it('refuses out-of-range settings before creating anything, naming the setting and the range', async () => {
    const topic = uniqueTopic();
    await expect(
      setupPubSub({ projectId, apiEndpoint: emulatorHost(), topic, maxDeliveryAttempts: 3 }),
    ).rejects.toThrow(PubSubSetupError);
    await expect(
      setupPubSub({ projectId, apiEndpoint: emulatorHost(), topic, maxDeliveryAttempts: 3 }),
    ).rejects.toThrow(/maxDeliveryAttempts must be an integer from 5 to 100, got 3/);
    await expect(setupPubSub({ projectId, apiEndpoint: emulatorHost(), topic: 'ab' })).rejects.toThrow(
      /3–255 characters/,
    );
    const clients = pubsubClients({ projectId, apiEndpoint: emulatorHost() });
    try {
      await expect(clients.publisher.getTopic({ topic: clients.topicName(topic) })).rejects.toMatchObject({ code: 5 });
    } finally {
      await clients.close();
    }
  });
});
