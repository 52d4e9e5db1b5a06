import type { protos } from '@google-cloud/pubsub';
import { changeEventNames, CHANGE_EVENTS_TOPIC } from '../../contract/resources.js';
import { grpcCode, GrpcStatus, pubsubClients, type PubSubConnection } from './pubsub-clients.js';

type ISubscription = protos.google.pubsub.v1.ISubscription;

/** Thrown before anything is created when an option is out of Pub/Sub's range, or when an existing resource conflicts. */
export class PubSubSetupError extends Error {
  override name = 'PubSubSetupError';
}

export interface PubSubSetupOptions extends PubSubConnection {
  /** Topic id of the change events. @default 'change-events' */
  readonly topic?: string;
  /**
   * Push endpoint URL (PUSH_ENDPOINT), e.g. coda-push's `https://…/pubsub/push`.
   * @default unset: the subscription is a pull subscription
   */
  readonly pushEndpoint?: string;
  /** Subscription id. @default `<topic>-coda-push` with a push endpoint, else `<topic>-sub` (contract `changeEventNames`) */
  readonly subscription?: string;
  /** OIDC token Pub/Sub attaches to each push (deployed configs). @default none (emulator/local: PUSH_AUTH=none) */
  readonly pushOidc?: { readonly serviceAccountEmail: string; readonly audience?: string };
  /** Deliveries before a message goes to `<topic>-dlq`; Pub/Sub allows 5–100. @default 5 */
  readonly maxDeliveryAttempts?: number;
  /** Retry back-off bounds in seconds (0–600, min ≤ max). @default 10 and 600 */
  readonly minimumBackoffSeconds?: number;
  readonly maximumBackoffSeconds?: number;
  /** Ack deadline in seconds, which is also the push HTTP timeout (10–600). @default 60 */
  readonly ackDeadlineSeconds?: number;
}

export type SetupAction = 'created' | 'updated' | 'unchanged';

export interface PubSubSetupResult {
  /** Full resource names and what setup did to each. */
  readonly resources: readonly {
    readonly kind: 'topic' | 'subscription';
    readonly name: string;
    readonly action: SetupAction;
  }[];
  readonly topic: string;
  readonly subscription: string;
  readonly deadLetterTopic: string;
  readonly deadLetterSubscription: string;
}

function check(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PubSubSetupError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

const seconds = (duration: protos.google.protobuf.IDuration | null | undefined) => Number(duration?.seconds ?? 0);

/**
 * Creates (or brings up to date) the change-event topology — idempotent, for the emulator and for a real project:
 * - topic `<topic>`;
 * - subscription on it: push to `pushEndpoint` when given, else pull; with `deadLetterPolicy
 *   {deadLetterTopic: <topic>-dlq, maxDeliveryAttempts}`, an exponential retry policy and the ack deadline;
 * - dead-letter topic `<topic>-dlq` and its pull subscription `<topic>-dlq` (without one, dead letters are lost).
 * An existing subscription whose push endpoint or policies differ is updated; one attached to another topic is refused.
 * In a real project the Pub/Sub service agent also needs publisher on the DLQ topic and subscriber on the
 * subscription (granted by the infrastructure, not here).
 *
 * @throws {PubSubSetupError} for out-of-range options or a subscription bound to another topic.
 */
export async function setupPubSub(options: PubSubSetupOptions): Promise<PubSubSetupResult> {
  const names = changeEventNames(options.topic ?? CHANGE_EVENTS_TOPIC);
  const topicId = names.topic;
  const subscriptionId =
    options.subscription ?? (options.pushEndpoint ? names.pushSubscription : names.pullSubscription);
  const maxDeliveryAttempts = options.maxDeliveryAttempts ?? 5;
  const minimumBackoffSeconds = options.minimumBackoffSeconds ?? 10;
  const maximumBackoffSeconds = options.maximumBackoffSeconds ?? 600;
  const ackDeadlineSeconds = options.ackDeadlineSeconds ?? 60;
  for (const [name, id] of [
    ['topic', topicId],
    ['subscription', subscriptionId],
  ] as const) {
    if (!/^[A-Za-z][\w.~+%-]{2,254}$/.test(id))
      throw new PubSubSetupError(
        `${name} id must be 3–255 characters, start with a letter, and use letters, digits, - _ . ~ + %; got ${JSON.stringify(id)}`,
      );
  }
  check('maxDeliveryAttempts', maxDeliveryAttempts, 5, 100);
  check('minimumBackoffSeconds', minimumBackoffSeconds, 0, 600);
  check('maximumBackoffSeconds', maximumBackoffSeconds, 0, 600);
  check('ackDeadlineSeconds', ackDeadlineSeconds, 10, 600);
  if (minimumBackoffSeconds > maximumBackoffSeconds) {
    throw new PubSubSetupError(
      `minimumBackoffSeconds (${minimumBackoffSeconds}) must not exceed maximumBackoffSeconds (${maximumBackoffSeconds})`,
    );
  }
  if (options.pushEndpoint !== undefined && !/^https?:\/\//.test(options.pushEndpoint)) {
    throw new PubSubSetupError('pushEndpoint must be an http(s) URL');
  }

  const clients = pubsubClients(options);
  const topic = clients.topicName(topicId);
  const deadLetterTopic = clients.topicName(names.deadLetterTopic);
  const subscription = clients.subscriptionName(subscriptionId);
  const deadLetterSubscription = clients.subscriptionName(names.deadLetterSubscription);
  const resources: { kind: 'topic' | 'subscription'; name: string; action: SetupAction }[] = [];

  const ensureTopic = async (name: string) => {
    try {
      await clients.publisher.createTopic({ name });
      resources.push({ kind: 'topic', name, action: 'created' });
    } catch (error) {
      if (grpcCode(error) !== GrpcStatus.ALREADY_EXISTS) throw error;
      resources.push({ kind: 'topic', name, action: 'unchanged' });
    }
  };

  const ensureSubscription = async (
    wanted: ISubscription & { name: string; topic: string },
    compare: (existing: ISubscription) => string[],
  ) => {
    let existing: ISubscription | undefined;
    try {
      [existing] = await clients.subscriber.getSubscription({ subscription: wanted.name });
    } catch (error) {
      if (grpcCode(error) !== GrpcStatus.NOT_FOUND) throw error;
    }
    if (!existing) {
      try {
        await clients.subscriber.createSubscription(wanted);
        resources.push({ kind: 'subscription', name: wanted.name, action: 'created' });
        return;
      } catch (error) {
        // Another setup created it meanwhile: fall through to the comparison.
        if (grpcCode(error) !== GrpcStatus.ALREADY_EXISTS) throw error;
        [existing] = await clients.subscriber.getSubscription({ subscription: wanted.name });
      }
    }
    if (existing.topic !== wanted.topic) {
      throw new PubSubSetupError(
        `subscription ${wanted.name} exists on ${existing.topic ?? 'a deleted topic'}, not ${wanted.topic}; delete it or choose another subscription id`,
      );
    }
    const paths = compare(existing);
    if (paths.length === 0) {
      resources.push({ kind: 'subscription', name: wanted.name, action: 'unchanged' });
      return;
    }
    await clients.subscriber.updateSubscription({ subscription: wanted, updateMask: { paths } });
    resources.push({ kind: 'subscription', name: wanted.name, action: 'updated' });
  };

  try {
    await ensureTopic(topic);
    await ensureTopic(deadLetterTopic);
    await ensureSubscription(
      { name: deadLetterSubscription, topic: deadLetterTopic, ackDeadlineSeconds: 60 },
      () => [],
    );
    const pushConfig = options.pushEndpoint
      ? { pushEndpoint: options.pushEndpoint, ...(options.pushOidc ? { oidcToken: { ...options.pushOidc } } : {}) }
      : {};
    await ensureSubscription(
      {
        name: subscription,
        topic,
        pushConfig,
        ackDeadlineSeconds,
        deadLetterPolicy: { deadLetterTopic, maxDeliveryAttempts },
        retryPolicy: {
          minimumBackoff: { seconds: minimumBackoffSeconds },
          maximumBackoff: { seconds: maximumBackoffSeconds },
        },
      },
      (existing) => {
        const paths: string[] = [];
        const push = existing.pushConfig;
        if (
          (push?.pushEndpoint ?? '') !== (options.pushEndpoint ?? '') ||
          (push?.oidcToken?.serviceAccountEmail ?? '') !== (options.pushOidc?.serviceAccountEmail ?? '') ||
          (push?.oidcToken?.audience ?? '') !== (options.pushOidc?.audience ?? '')
        )
          paths.push('push_config');
        if (existing.ackDeadlineSeconds !== ackDeadlineSeconds) paths.push('ack_deadline_seconds');
        if (
          existing.deadLetterPolicy?.deadLetterTopic !== deadLetterTopic ||
          existing.deadLetterPolicy?.maxDeliveryAttempts !== maxDeliveryAttempts
        ) {
          paths.push('dead_letter_policy');
        }
        if (
          seconds(existing.retryPolicy?.minimumBackoff) !== minimumBackoffSeconds ||
          seconds(existing.retryPolicy?.maximumBackoff) !== maximumBackoffSeconds
        ) {
          paths.push('retry_policy');
        }
        return paths;
      },
    );
  } finally {
    await clients.close();
  }
  return { resources, topic, subscription, deadLetterTopic, deadLetterSubscription };
}
