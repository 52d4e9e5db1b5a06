import { isPgInstant, safeFieldPath } from '../db/pg-values.js';
import { isTraceparent } from '../observability/spans.js';
import { changeEventSchema, COMMITTED_AT_ATTRIBUTE, pushEnvelopeSchema, type ChangeEvent } from './types.js';

/** A push body coda-push can never process; `fields` are dotted paths (never values). Answered with 400. */
export class PushEnvelopeError extends Error {
  override name = 'PushEnvelopeError';
  constructor(
    /** Short reason, safe to return and log: `malformed JSON`, `invalid envelope`, `invalid message data`, `invalid change event`. */
    readonly reason: string,
    readonly fields: readonly string[] = [],
    /** What is already known to be valid about the message (id, subscription), for the log line. */
    readonly where: Readonly<Record<string, unknown>> = {},
  ) {
    super(fields.length > 0 ? `${reason}: ${fields.join(', ')}` : reason);
  }
}

/** A push delivery after validation: every value here is bounded and printable, fit for Postgres and logs. */
export interface DecodedPush {
  readonly messageId: string;
  readonly subscription: string;
  readonly deliveryAttempt?: number;
  /** The envelope's publishTime, when present (always a real instant). */
  readonly publishedAt?: Date;
  /** The oldest outbox commit of the event (`committed_at` attribute), when present and a real ISO instant. */
  readonly committedAt?: Date;
  readonly event: ChangeEvent;
  /**
   * The W3C trace context the publisher put in the message attributes (`traceparent`, optional `tracestate`), when
   * the traceparent is well formed; coda-push continues that trace.
   */
  readonly traceContext?: { readonly traceparent: string; readonly tracestate?: string };
}

/** Field paths of zod issues — never the values, and only identifier-like keys (an attribute name is input). */
const fieldsOf = (issues: readonly { path: readonly PropertyKey[] }[], prefix: string[] = []) => [
  ...new Set(issues.map((i) => [...prefix, ...safeFieldPath(i.path)].join('.') || '(root)')),
];

/**
 * Decodes a Pub/Sub push body (the raw request text) into a change event, or throws PushEnvelopeError naming the
 * field: not JSON; an envelope whose message id is not printable ASCII ≤ 256, whose publishTime is not a real
 * RFC 3339 instant with a 4-digit year, or whose subscription is not `projects/<p>/subscriptions/<s>` within
 * Pub/Sub's name limits; data that is not canonical base64 of a change event.
 */
export function decodePushEnvelope(text: string): DecodedPush {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new PushEnvelopeError('malformed JSON');
  }
  return decodeParsedPushEnvelope(body);
}

/** {@link decodePushEnvelope} for a body already parsed as JSON (the HTTP edge's `jsonBody` middleware does that). */
export function decodeParsedPushEnvelope(body: unknown): DecodedPush {
  const envelope = pushEnvelopeSchema.safeParse(body);
  if (!envelope.success) throw new PushEnvelopeError('invalid envelope', fieldsOf(envelope.error.issues));
  const { message, subscription, deliveryAttempt } = envelope.data;
  const messageId = (message.messageId ?? message.message_id) as string;
  const where = { messageId, subscription, ...(deliveryAttempt !== undefined && { deliveryAttempt }) };

  let data: unknown;
  try {
    const decoded = Buffer.from(message.data, 'base64');
    if (decoded.toString('base64').replace(/=+$/, '') !== message.data.replace(/=+$/, ''))
      throw new Error('not canonical base64');
    data = JSON.parse(decoded.toString('utf8'));
  } catch {
    throw new PushEnvelopeError('invalid message data', ['message.data'], where);
  }
  const parsed = changeEventSchema.safeParse(data);
  if (!parsed.success)
    throw new PushEnvelopeError('invalid change event', fieldsOf(parsed.error.issues, ['data']), where);
  const published = message.publishTime ?? message.publish_time;
  // An attribute is unvalidated input: only a plain ISO instant is used, anything else is ignored.
  const committed = message.attributes?.[COMMITTED_AT_ATTRIBUTE];
  const committedAt =
    committed !== undefined &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(committed) &&
    isPgInstant(committed)
      ? new Date(committed)
      : undefined;
  const traceparent = message.attributes?.['traceparent'];
  const tracestate = message.attributes?.['tracestate'];
  const traceContext = isTraceparent(traceparent)
    ? { traceparent, ...(tracestate !== undefined && tracestate.length <= 512 && { tracestate }) }
    : undefined;
  return {
    messageId,
    subscription,
    ...(deliveryAttempt !== undefined && { deliveryAttempt }),
    ...(published !== undefined && { publishedAt: new Date(published) }),
    ...(committedAt !== undefined && { committedAt }),
    event: parsed.data,
    ...(traceContext && { traceContext }),
  };
}
