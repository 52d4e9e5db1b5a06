import { randomUUID } from 'node:crypto';
import { changeEventNames } from '../../contract/resources.js';
import { withTraceContext } from '../observability/spans.js';
import { PublishError, PushRejectedError } from './errors.js';
import { buildPushEnvelope, type OutgoingMessage, type Publisher } from './types.js';

/** Pub/Sub push's ack codes (DESIGN §7.4); anything else is a nack. */
export const PUSH_ACK_STATUSES: ReadonlySet<number> = new Set([102, 200, 201, 202, 204]);

const DEFAULT_SUBSCRIPTION = `projects/local/subscriptions/${changeEventNames().pushSubscription}`;

export interface HttpPublisherOptions {
  /** URL the envelope is POSTed to (PUSH_ENDPOINT), e.g. `http://127.0.0.1:8081/pubsub/push`. */
  readonly endpoint: string;
  /** `subscription` written into the envelope. @default `projects/local/subscriptions/change-events-coda-push` (the contract's push subscription) */
  readonly subscription?: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Extra request headers, e.g. `authorization` with a test OIDC token. @default none */
  readonly headers?: Record<string, string>;
  /** Milliseconds before an unanswered POST counts as a failed publish (Pub/Sub's ack deadline). @default 60000 */
  readonly timeoutMs?: number;
  /** Message ids; Pub/Sub's are decimal strings, any unique string works. @default random UUID */
  readonly newMessageId?: () => string;
}

/**
 * A publisher that behaves like a Pub/Sub push subscription: it POSTs the exact wrapped push envelope to the endpoint
 * and treats 102/200/201/202/204 as accepted. Anything else, a network error or a timeout rejects with a
 * {@link PublishError}, so the relay leaves the outbox rows pending and retries them. Used by `npm start` when no
 * emulator is configured, so coda-push runs the same handler code path as in the cloud. The active span's W3C trace
 * context goes into the message attributes (as the Pub/Sub publisher does) and into the request headers.
 */
export function createHttpPublisher(options: HttpPublisherOptions): Publisher {
  const endpoint = new URL(options.endpoint).toString();
  const subscription = options.subscription ?? DEFAULT_SUBSCRIPTION;
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const newMessageId = options.newMessageId ?? randomUUID;
  return {
    system: 'http',
    async publish(message: OutgoingMessage): Promise<string> {
      const messageId = newMessageId();
      // The trace context travels in the message attributes, as with Pub/Sub (coda-push reads it from there), and in
      // the request's own W3C headers, as any HTTP call's does (so coda-push's server span joins the trace too).
      const traced = { ...message, attributes: withTraceContext(message.attributes) };
      const envelope = buildPushEnvelope(traced, messageId, subscription);
      let response: Response;
      try {
        response = await doFetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headers, ...withTraceContext({}) },
          body: JSON.stringify(envelope),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new PublishError('push endpoint unreachable', { cause: error });
      }
      await response.arrayBuffer().catch(() => undefined);
      if (!PUSH_ACK_STATUSES.has(response.status)) throw new PushRejectedError(response.status);
      return messageId;
    },
    async close() {},
  };
}
