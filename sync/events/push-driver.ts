import type { protos } from '@google-cloud/pubsub';
import { pubsubClients, type PubSubClients } from './pubsub-clients.js';
import { PUSH_ACK_STATUSES } from './http-publisher.js';
import type { PushEnvelope } from './types.js';

// What a push subscription does, on top of a pull subscription: the emulator never redelivers or dead-letters for
// push and never attaches an OIDC token (DESIGN §7.4), so the fault tests and `platform rehearse` drive delivery
// themselves with this.

export type PushHandler = string | ((request: Request) => Promise<Response>);

export interface PushDelivery {
  readonly messageId: string;
  readonly deliveryAttempt: number | undefined;
  readonly status: number;
  readonly acked: boolean;
}

export interface PushDriverOptions {
  readonly host: string;
  readonly projectId: string;
  /** Pull subscription id to drive. */
  readonly subscription: string;
  /** A URL to POST to, or an in-process handler (e.g. `app.request` wrapped in a Request). */
  readonly handler: PushHandler;
  /** Extra request headers (e.g. authorization), or a function giving them per delivery (a fresh OIDC token). */
  readonly headers?: Record<string, string> | (() => Promise<Record<string, string>>);
}

export interface PushDriver {
  /** Every delivery made so far, in order. */
  readonly deliveries: PushDelivery[];
  /** Pulls once (waiting up to `waitMs` for messages) and delivers what came; resolves with the number delivered. */
  pollOnce(waitMs?: number): Promise<number>;
  /** Polls until `done()` is true or `timeoutMs` passes (then throws). */
  runUntil(done: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Behaves like a Pub/Sub push subscription on top of a pull subscription, because emulator 0.8.20 never redelivers or
 * dead-letters for push (DESIGN §7.4): POSTs the wrapped envelope with `deliveryAttempt`, acks on
 * 102/200/201/202/204 and nacks (`modifyAckDeadline` 0) otherwise, so redelivery and dead-lettering really happen.
 */
export function createPushDriver(options: PushDriverOptions): PushDriver {
  const clients: PubSubClients = pubsubClients({ projectId: options.projectId, apiEndpoint: options.host });
  const subscription = clients.subscriptionName(options.subscription);
  const deliveries: PushDelivery[] = [];
  const post = async (envelope: PushEnvelope): Promise<number> => {
    const extra = typeof options.headers === 'function' ? await options.headers() : options.headers;
    const init = {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...extra },
      body: JSON.stringify(envelope),
    };
    try {
      const response =
        typeof options.handler === 'string'
          ? await fetch(options.handler, init)
          : await options.handler(new Request('http://push.test/pubsub/push', init));
      await response.arrayBuffer().catch(() => undefined);
      return response.status;
    } catch {
      return 0; // unreachable endpoint = nack
    }
  };
  const driver: PushDriver = {
    deliveries,
    async pollOnce(waitMs = 1000) {
      let received: protos.google.pubsub.v1.IReceivedMessage[] | null | undefined;
      try {
        [{ receivedMessages: received }] = await clients.subscriber.pull(
          { subscription, maxMessages: 50 },
          { timeout: waitMs, retry: null },
        );
      } catch (error) {
        if ((error as { code?: unknown }).code === 4) return 0;
        throw error;
      }
      for (const item of received ?? []) {
        const message = item.message ?? {};
        const messageId = message.messageId ?? '';
        const publishTime =
          message.publishTime?.seconds === undefined || message.publishTime.seconds === null
            ? new Date().toISOString()
            : new Date(
                Number(message.publishTime.seconds) * 1000 + Math.floor((message.publishTime.nanos ?? 0) / 1e6),
              ).toISOString();
        const deliveryAttempt = item.deliveryAttempt ? item.deliveryAttempt : undefined;
        const envelope: PushEnvelope = {
          message: {
            data: Buffer.from(message.data ?? '').toString('base64'),
            attributes: { ...(message.attributes ?? {}) },
            messageId,
            message_id: messageId,
            publishTime,
            publish_time: publishTime,
            ...(message.orderingKey ? { orderingKey: message.orderingKey } : {}),
          },
          subscription,
          ...(deliveryAttempt === undefined ? {} : { deliveryAttempt }),
        };
        const status = await post(envelope);
        const acked = PUSH_ACK_STATUSES.has(status);
        if (item.ackId) {
          if (acked) await clients.subscriber.acknowledge({ subscription, ackIds: [item.ackId] });
          else
            await clients.subscriber.modifyAckDeadline({ subscription, ackIds: [item.ackId], ackDeadlineSeconds: 0 });
        }
        deliveries.push({ messageId, deliveryAttempt, status, acked });
      }
      return received?.length ?? 0;
    },
    async runUntil(done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > deadline)
          throw new Error(`push driver: condition not met within ${timeoutMs} ms (${deliveries.length} deliveries)`);
        // The emulator answers an empty pull at once (no long poll): pause between empty polls.
        if ((await driver.pollOnce(500)) === 0) await new Promise((r) => setTimeout(r, 100));
      }
    },
    close: () => clients.close(),
  };
  return driver;
}
