import { PubSub } from '@google-cloud/pubsub';
import { PublishError } from './errors.js';
import { pubsubClientConfig } from './pubsub-clients.js';
import { withTraceContext } from '../observability/spans.js';
import type { OutgoingMessage, Publisher } from './types.js';

export interface PubSubPublisherOptions {
  /** PUBSUB_PROJECT_ID. */
  readonly projectId: string;
  /** Topic id (not the full name). @default 'change-events' */
  readonly topic?: string;
  /**
   * `host:port` of the emulator (or another endpoint). @default unset: the client library uses PUBSUB_EMULATOR_HOST
   * when that is set, else Google's endpoint with Application Default Credentials.
   */
  readonly apiEndpoint?: string;
}

/** Publishes to a Pub/Sub topic; each publish resolves with the server's message id once the topic accepted it. */
export function createPubSubPublisher(options: PubSubPublisherOptions): Publisher {
  const pubsub = new PubSub(pubsubClientConfig(options));
  // Small batches: the relay already coalesces, and it awaits each id before marking rows published.
  const topic = pubsub.topic(options.topic ?? 'change-events', { batching: { maxMessages: 100, maxMilliseconds: 5 } });
  return {
    system: 'gcp_pubsub',
    /** Adds the active span's W3C `traceparent`/`tracestate` to the attributes, so coda-push continues the trace. */
    async publish(message: OutgoingMessage): Promise<string> {
      try {
        return await topic.publishMessage({ data: message.data, attributes: withTraceContext(message.attributes) });
      } catch (error) {
        throw new PublishError('Pub/Sub publish failed', { cause: error });
      }
    },
    async close() {
      await topic.flush().catch(() => undefined);
      await pubsub.close();
    },
  };
}
