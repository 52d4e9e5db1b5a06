import { z } from 'zod';
import { CODA_MAX_ROWS_PER_UPSERT } from '../../contract/resources.js';
import { isPgInstant } from '../db/pg-values.js';

// The change-event contract between the outbox relay (drchrono-sync) and coda-push. Messages carry table names and
// row ids only — never PHI; coda-push reads the rows from Postgres.

/**
 * Most row ids in one message: as many as one Coda upsert call takes, so coda-push writes a message in one call.
 * The same constant as the client's cap (contract/resources.ts), never a second 500.
 */
export const MAX_IDS_PER_MESSAGE = CODA_MAX_ROWS_PER_UPSERT;

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
  /** `messaging.system` of the publish spans: `gcp_pubsub`, or `http` for the local HTTP push bus. @default unset */
  readonly system?: string;
  /** Resolves with the message id once the bus has accepted the message (throws otherwise). */
  publish(message: OutgoingMessage): Promise<string>;
  close(): Promise<void>;
}

/** Message attribute carrying the oldest outbox commit of the event (ISO 8601), for the change-event age metric. */
export const COMMITTED_AT_ATTRIBUTE = 'committed_at';

export function encodeChangeEvent(event: ChangeEvent, committedAt?: Date): OutgoingMessage {
  return {
    data: Buffer.from(JSON.stringify(event)),
    attributes: {
      table: event.table,
      count: String(event.ids.length),
      ...(committedAt && { [COMMITTED_AT_ATTRIBUTE]: committedAt.toISOString() }),
    },
  };
}

/** A message id as Pub/Sub writes it (decimal digits); we allow printable ASCII, no controls or spaces, ≤ 256. */
export const PUSH_MESSAGE_ID = /^[\x21-\x7E]{1,256}$/;
/**
 * `projects/<project>/subscriptions/<id>`: a project id (6–30 lowercase letters, digits, hyphens; domain-scoped ids
 * add `domain:`; the emulator takes any) and a subscription id (3–255 chars, starting with a letter, then letters,
 * digits and `-_.~+%`). Generous on the project, bounded overall, so it is safe to log and store.
 */
export const PUSH_SUBSCRIPTION =
  /^projects\/[A-Za-z0-9][A-Za-z0-9.:_-]{0,99}\/subscriptions\/[A-Za-z][A-Za-z0-9._~+%-]{2,254}$/;
/** RFC 3339 as Pub/Sub writes publishTime: 4-digit year, `T`, optional fraction (up to ns), `Z` or an offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;
const publishTime = z
  .string()
  .max(40)
  .regex(RFC3339)
  .refine(isPgInstant, 'not a real instant in years 0001-9999')
  .optional();

/**
 * Pub/Sub's push body (DESIGN §7.4): both id spellings, `deliveryAttempt` and `orderingKey` optional.
 * Validated by coda-push (decodePushEnvelope); built by the HTTP publisher and the test push driver. Every field
 * that reaches Postgres or a log line (message id, publish time, subscription) is bounded and printable.
 */
export const pushEnvelopeSchema = z.object({
  message: z
    .object({
      data: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
      attributes: z.record(z.string(), z.string()).optional(),
      messageId: z.string().regex(PUSH_MESSAGE_ID).optional(),
      message_id: z.string().regex(PUSH_MESSAGE_ID).optional(),
      publishTime,
      publish_time: publishTime,
      orderingKey: z.string().max(1024).optional(),
    })
    .refine((m) => m.messageId ?? m.message_id, {
      message: 'messageId or message_id is required',
      path: ['messageId'],
    }),
  subscription: z.string().max(400).regex(PUSH_SUBSCRIPTION),
  deliveryAttempt: z.number().int().positive().max(1000).optional(),
});
export type PushEnvelope = z.infer<typeof pushEnvelopeSchema>;

/** The wrapped push body Pub/Sub would POST for `message`. */
export function buildPushEnvelope(
  message: OutgoingMessage,
  messageId: string,
  subscription: string,
  deliveryAttempt?: number,
): PushEnvelope {
  const publishTime = new Date().toISOString();
  return {
    message: {
      data: message.data.toString('base64'),
      attributes: message.attributes,
      messageId,
      message_id: messageId,
      publishTime,
      publish_time: publishTime,
    },
    subscription,
    ...(deliveryAttempt === undefined ? {} : { deliveryAttempt }),
  };
}
