import type { protos } from '@google-cloud/pubsub';
import { changeEventNames, CHANGE_EVENTS_TOPIC } from '../../contract/resources.js';
import { errorClass } from './errors.js';
import { pubsubClients, type PubSubConnection } from './pubsub-clients.js';

export interface ReplayDeadLettersOptions extends PubSubConnection {
  /** Main topic id the messages go back to. @default 'change-events' */
  readonly topic?: string;
  /** Dead-letter subscription id. @default `<topic>-dlq` (contract `changeEventNames`, what Terraform creates) */
  readonly deadLetterSubscription?: string;
  /** Most messages to move. @default unlimited (until the subscription is empty) */
  readonly limit?: number;
  /** Milliseconds one pull waits for messages before the subscription counts as empty. @default 2000 */
  readonly pullTimeoutMs?: number;
}

export interface ReplayedMessage {
  /** Id of the dead-lettered message (the `replayed_from_dlq` attribute of the new one). */
  readonly deadLetterMessageId: string;
  /** Id Pub/Sub gave the republished message. */
  readonly messageId: string;
  /** The `table` attribute, if any. */
  readonly table: string | undefined;
  /** Row ids in the event (from the `count` attribute, else by decoding the data); never the data itself. */
  readonly idCount: number | undefined;
}

/** A dead-lettered message could not be republished; it stays on the dead-letter subscription. */
export class DeadLetterReplayError extends Error {
  override name = 'DeadLetterReplayError';
  constructor(
    message: string,
    readonly moved: readonly ReplayedMessage[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Attributes Pub/Sub adds when dead-lettering; not part of the original message. */
const DEAD_LETTER_ATTRIBUTE = /^CloudPubSubDeadLetterSource/;

function idCount(data: Uint8Array | string | null | undefined, attributes: Record<string, string>): number | undefined {
  const fromAttribute = Number(attributes.count);
  if (Number.isInteger(fromAttribute) && fromAttribute >= 0 && attributes.count !== undefined) return fromAttribute;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(data ?? '').toString());
    const ids = (parsed as { ids?: unknown }).ids;
    return Array.isArray(ids) ? ids.length : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Moves dead-lettered messages back to the main topic: pulls from the dead-letter subscription, republishes each with
 * the same data and original attributes plus `replayed_from_dlq=<dead-letter message id>` (Pub/Sub's
 * `CloudPubSubDeadLetterSource*` attributes are dropped), and acks it only after the publish succeeded — so a failure
 * leaves it on the dead-letter subscription (it is nacked for immediate redelivery) and nothing is lost. Stops when
 * two pulls in a row come back empty or `limit` messages have moved.
 *
 * @throws {DeadLetterReplayError} when a publish fails; the messages already moved are in `error.moved`.
 */
export async function replayDeadLetters(options: ReplayDeadLettersOptions): Promise<ReplayedMessage[]> {
  const topicId = options.topic ?? CHANGE_EVENTS_TOPIC;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 0)) throw new Error(`limit must be ≥ 0, got ${limit}`);
  const pullTimeoutMs = options.pullTimeoutMs ?? 2000;
  const clients = pubsubClients(options);
  const topic = clients.topicName(topicId);
  const subscription = clients.subscriptionName(
    options.deadLetterSubscription ?? changeEventNames(topicId).deadLetterSubscription,
  );
  const moved: ReplayedMessage[] = [];
  let emptyPulls = 0;
  try {
    while (moved.length < limit) {
      const maxMessages = Math.min(100, limit - moved.length);
      let received: protos.google.pubsub.v1.IReceivedMessage[] | null | undefined;
      try {
        [{ receivedMessages: received }] = await clients.subscriber.pull(
          { subscription, maxMessages },
          { timeout: pullTimeoutMs, retry: null },
        );
      } catch (error) {
        // An empty subscription can end the long poll with DEADLINE_EXCEEDED (4) instead of an empty answer.
        if ((error as { code?: unknown }).code === 4) break;
        throw error;
      }
      if (!received || received.length === 0) {
        // A pull may come back empty while messages exist (best effort): only a second empty pull ends the replay.
        if (++emptyPulls >= 2) break;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      emptyPulls = 0;
      for (const [index, item] of received.entries()) {
        const message = item.message ?? {};
        const deadLetterMessageId = message.messageId ?? '';
        const attributes = Object.fromEntries(
          Object.entries(message.attributes ?? {}).filter(([key]) => !DEAD_LETTER_ATTRIBUTE.test(key)),
        );
        let messageId: string;
        try {
          const [response] = await clients.publisher.publish({
            topic,
            messages: [
              {
                data: message.data ?? Buffer.alloc(0),
                attributes: { ...attributes, replayed_from_dlq: deadLetterMessageId },
              },
            ],
          });
          messageId = response.messageIds?.[0] ?? '';
        } catch (error) {
          // Hand this and the rest of the batch back for immediate redelivery; nothing was acked for them.
          const ackIds = received
            .slice(index)
            .map((r) => r.ackId)
            .filter((id): id is string => Boolean(id));
          await clients.subscriber
            .modifyAckDeadline({ subscription, ackIds, ackDeadlineSeconds: 0 })
            .catch(() => undefined);
          throw new DeadLetterReplayError(
            `republishing ${deadLetterMessageId} failed (${errorClass(error)}); ${moved.length} moved before it`,
            moved,
            { cause: error },
          );
        }
        if (item.ackId) await clients.subscriber.acknowledge({ subscription, ackIds: [item.ackId] });
        moved.push({
          deadLetterMessageId,
          messageId,
          table: attributes.table,
          idCount: idCount(message.data, attributes),
        });
      }
    }
  } finally {
    await clients.close();
  }
  return moved;
}
