import { pubsubClients } from '../../sync/events/pubsub-clients.js';
import { createPushDriver, type PushDriver } from '../../sync/events/push-driver.js';
import type { RehearsalStack, Subscription } from './stack.js';

// The stack's Pub/Sub topology created in the emulator from the synthesized JSON: topics by name, subscriptions by
// name with their topic, ack deadline, retry policy and dead-letter policy. A push subscription becomes a pull
// subscription plus a push driver (sync/events/push-driver.ts) that POSTs the envelope to the push endpoint with an
// OIDC token for the subscription's `oidc_token`, because the emulator's push sends no token and never redelivers
// (DESIGN §7.4).

export interface CreatedTopology {
  readonly topics: readonly string[];
  readonly subscriptions: readonly Subscription[];
}

/** Creates every topic, then every subscription, of the stack in the emulator at `host` under `projectId`. */
export async function createTopologyFromStack(
  stack: RehearsalStack,
  host: string,
  projectId: string,
): Promise<CreatedTopology> {
  const clients = pubsubClients({ projectId, apiEndpoint: host });
  try {
    for (const topic of stack.topics) await clients.publisher.createTopic({ name: clients.topicName(topic) });
    for (const s of stack.subscriptions) {
      await clients.subscriber.createSubscription({
        name: clients.subscriptionName(s.name),
        topic: clients.topicName(s.topic),
        ackDeadlineSeconds: s.ackDeadlineSeconds,
        ...(s.retry && {
          retryPolicy: {
            minimumBackoff: { seconds: s.retry.minimumBackoffSeconds },
            maximumBackoff: { seconds: s.retry.maximumBackoffSeconds },
          },
        }),
        ...(s.deadLetter && {
          deadLetterPolicy: {
            deadLetterTopic: clients.topicName(s.deadLetter.topic),
            maxDeliveryAttempts: s.deadLetter.maxDeliveryAttempts,
          },
        }),
      });
    }
    return { topics: stack.topics, subscriptions: stack.subscriptions };
  } finally {
    await clients.close();
  }
}

/** Whether a subscription exists in the emulator (what a runbook's `gcloud pubsub subscriptions pull <id>` needs). */
export async function subscriptionExists(host: string, projectId: string, id: string): Promise<boolean> {
  const clients = pubsubClients({ projectId, apiEndpoint: host });
  try {
    await clients.subscriber.getSubscription({ subscription: clients.subscriptionName(id) }, { retry: null });
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 5) return false;
    throw error;
  } finally {
    await clients.close();
  }
}

/** Publishes one message straight to a topic (the rehearsal's stand-in for a dead-lettered change event). */
export async function publishTo(
  host: string,
  projectId: string,
  topic: string,
  data: string,
  attributes: Record<string, string>,
): Promise<string> {
  const clients = pubsubClients({ projectId, apiEndpoint: host });
  try {
    const [result] = await clients.publisher.publish({
      topic: clients.topicName(topic),
      messages: [{ data: Buffer.from(data), attributes }],
    });
    return result.messageIds?.[0] ?? '';
  } finally {
    await clients.close();
  }
}

export interface PushPump {
  readonly driver: PushDriver;
  /** Errors pulling (the subscription gone, the emulator down), counted and retried. */
  errors(): number;
  lastError(): string | undefined;
  stop(): Promise<void>;
}

/** Runs a push driver in the background until stopped: Pub/Sub's push, as the deployed subscription would do it. */
export function startPushPump(options: {
  host: string;
  projectId: string;
  subscription: string;
  endpoint: string;
  token: () => Promise<string>;
}): PushPump {
  const driver = createPushDriver({
    host: options.host,
    projectId: options.projectId,
    subscription: options.subscription,
    handler: options.endpoint,
    headers: async () => ({ authorization: `Bearer ${await options.token()}` }),
  });
  let running = true;
  let errors = 0;
  let last: string | undefined;
  const loop = (async () => {
    while (running) {
      try {
        if ((await driver.pollOnce(500)) === 0) await new Promise((r) => setTimeout(r, 150));
      } catch (error) {
        errors += 1;
        last = error instanceof Error ? error.message : String(error);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  })();
  return {
    driver,
    errors: () => errors,
    lastError: () => last,
    async stop() {
      running = false;
      await loop;
      await driver.close();
    },
  };
}
