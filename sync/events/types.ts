import { z } from 'zod';

// The change-event contract between the outbox relay (drchrono-sync) and coda-push. Messages carry table names and
// row ids only — never PHI; coda-push reads the rows from Postgres.

/** Most row ids in one message: Coda's upsertRows takes up to 500 rows per call. */
export const MAX_IDS_PER_MESSAGE = 500;

export const changeEventSchema = z.object({
  /** A table with a Coda mapping, e.g. `patients`. */
  table: z.string().regex(/^[a-z_]{1,63}$/),
  /** `id` (bigserial) of the changed rows; coda-push reads their current state, so op and order don't matter. */
  ids: z.array(z.number().int().positive()).min(1).max(MAX_IDS_PER_MESSAGE),
});
export type ChangeEvent = z.infer<typeof changeEventSchema>;

export interface OutgoingMessage {
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
}

/** Where the relay sends change events: Pub/Sub in the cloud and with the emulator, HTTP push locally. */
export interface Publisher {
  /** Resolves with the message id once the bus has accepted the message (throws otherwise). */
  publish(message: OutgoingMessage): Promise<string>;
  close(): Promise<void>;
}

export function encodeChangeEvent(event: ChangeEvent): OutgoingMessage {
  return { data: Buffer.from(JSON.stringify(event)), attributes: { table: event.table, count: String(event.ids.length) } };
}

/**
 * Pub/Sub's push body (DESIGN §7.4): both id spellings, `deliveryAttempt` and `orderingKey` optional.
 * Validated by coda-push; built by the HTTP publisher and the test push driver.
 */
export const pushEnvelopeSchema = z.object({
  message: z.object({
    data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
    attributes: z.record(z.string(), z.string()).optional(),
    messageId: z.string().min(1).max(256).optional(),
    message_id: z.string().min(1).max(256).optional(),
    publishTime: z.string().optional(),
    publish_time: z.string().optional(),
    orderingKey: z.string().optional(),
  }).refine((m) => m.messageId ?? m.message_id, { message: 'messageId or message_id is required', path: ['messageId'] }),
  subscription: z.string().min(1),
  deliveryAttempt: z.number().int().positive().optional(),
});
export type PushEnvelope = z.infer<typeof pushEnvelopeSchema>;

/** The wrapped push body Pub/Sub would POST for `message`. */
export function buildPushEnvelope(message: OutgoingMessage, messageId: string, subscription: string, deliveryAttempt?: number): PushEnvelope {
  const publishTime = new Date().toISOString();
  return {
    message: {
      data: message.data.toString('base64'), attributes: message.attributes,
      messageId, message_id: messageId, publishTime, publish_time: publishTime,
    },
    subscription,
    ...(deliveryAttempt === undefined ? {} : { deliveryAttempt }),
  };
}
