import { randomBytes } from 'node:crypto';
import type { protos } from '@google-cloud/pubsub';
import { inject } from 'vitest';
import { pubsubClients } from '../../sync/events/pubsub-clients.js';

/** The run's emulator (see ./pubsub-global-setup.ts). */
export function emulatorHost(): string {
  return inject('pubsubEmulatorHost');
}

/** A topic id no other test file uses on the shared emulator. */
export function uniqueTopic(prefix = 'events'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export { createPushDriver } from '../../sync/events/push-driver.js';
export type { PushDelivery, PushDriver, PushDriverOptions, PushHandler } from '../../sync/events/push-driver.js';

/** Pulls and acks everything on a pull subscription (waiting up to `waitMs` per pull) — for asserting what arrived. */
export async function pullAll(options: {
  host: string;
  projectId: string;
  subscription: string;
  waitMs?: number;
  expect?: number;
  timeoutMs?: number;
}) {
  const clients = pubsubClients({ projectId: options.projectId, apiEndpoint: options.host });
  const subscription = clients.subscriptionName(options.subscription);
  const messages: {
    messageId: string;
    data: Buffer;
    attributes: Record<string, string>;
    deliveryAttempt: number | undefined;
  }[] = [];
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  try {
    for (;;) {
      let received: protos.google.pubsub.v1.IReceivedMessage[] | null | undefined;
      try {
        [{ receivedMessages: received }] = await clients.subscriber.pull(
          { subscription, maxMessages: 100 },
          { timeout: options.waitMs ?? 1000, retry: null },
        );
      } catch (error) {
        if ((error as { code?: unknown }).code !== 4) throw error;
      }
      const batch = received ?? [];
      if (batch.length > 0) {
        await clients.subscriber.acknowledge({ subscription, ackIds: batch.map((r) => r.ackId ?? '') });
        for (const r of batch) {
          messages.push({
            messageId: r.message?.messageId ?? '',
            data: Buffer.from(r.message?.data ?? ''),
            attributes: { ...(r.message?.attributes ?? {}) },
            deliveryAttempt: r.deliveryAttempt || undefined,
          });
        }
      }
      const enough = options.expect === undefined ? batch.length === 0 : messages.length >= options.expect;
      if (enough || Date.now() > deadline) return messages;
      if (batch.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await clients.close();
  }
}
