import { Construct } from 'constructs';
import { PubsubTopic } from '@cdktf/provider-google/lib/pubsub-topic/index.js';
import { PubsubSubscription } from '@cdktf/provider-google/lib/pubsub-subscription/index.js';
import { PubsubTopicIamMember } from '@cdktf/provider-google/lib/pubsub-topic-iam-member/index.js';
import { PubsubSubscriptionIamMember } from '@cdktf/provider-google/lib/pubsub-subscription-iam-member/index.js';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account/index.js';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member/index.js';
import { changeEventNames, CHANGE_EVENTS_TOPIC } from '../contract/resources.js';
import { serviceAgentEmail } from './cmek.js';
import { validateMember, validateRange } from './validation.js';

export interface ChangeEventsProps {
  readonly projectId: string;
  /** Project number (names the Pub/Sub service agent that dead-letters and signs push tokens). */
  readonly projectNumber: string;
  /** CMEK key id for both topics. */
  readonly kmsKeyId: string;
  /** HTTPS endpoint of the push subscriber (coda-push `…/pubsub/push`). */
  readonly pushEndpoint: string;
  /** `aud` of the push OIDC token; coda-push checks it (`AUTH_OIDC_AUDIENCE`). */
  readonly pushAudience: string;
  /**
   * Topic name.
   * @default "change-events"
   */
  readonly topicName?: string;
  /**
   * Delivery attempts before a message moves to the dead-letter topic, 5–100.
   * @default 10
   */
  readonly maxDeliveryAttempts?: number;
  /**
   * Ack deadline (= push HTTP timeout), seconds, 10–600.
   * @default 60
   */
  readonly ackDeadlineSeconds?: number;
  /**
   * Redelivery backoff bounds, seconds (0–600, min ≤ max).
   * @default { min: 10, max: 600 }
   */
  readonly retryBackoffSeconds?: { readonly min: number; readonly max: number };
}

/**
 * The change-event bus: a CMEK topic, an authenticated push subscription (OIDC token signed for a dedicated push
 * service account) with retry policy and dead-lettering, a CMEK dead-letter topic **with its own pull subscription**
 * (otherwise dead letters are dropped), and the Pub/Sub service-agent grants that dead-lettering needs
 * (publisher on the DLQ topic, subscriber on the source subscription).
 */
export class ChangeEvents extends Construct {
  readonly topic: PubsubTopic;
  readonly deadLetterTopic: PubsubTopic;
  readonly pushSubscription: PubsubSubscription;
  readonly deadLetterSubscription: PubsubSubscription;
  /** The identity Pub/Sub pushes as; grant it `run.invoker` on the subscriber. */
  readonly pushServiceAccount: ServiceAccount;

  constructor(scope: Construct, id: string, props: ChangeEventsProps) {
    super(scope, id);
    validateRange('ChangeEvents', 'maxDeliveryAttempts', props.maxDeliveryAttempts, 5, 100, 'attempts');
    validateRange('ChangeEvents', 'ackDeadlineSeconds', props.ackDeadlineSeconds, 10, 600, 'seconds');
    validateRange('ChangeEvents', 'retryBackoffSeconds.min', props.retryBackoffSeconds?.min, 0, 600, 'seconds');
    validateRange('ChangeEvents', 'retryBackoffSeconds.max', props.retryBackoffSeconds?.max, 0, 600, 'seconds');
    const backoff = props.retryBackoffSeconds ?? { min: 10, max: 600 };
    const names = changeEventNames(props.topicName ?? CHANGE_EVENTS_TOPIC);
    const agent = `serviceAccount:${serviceAgentEmail(props.projectNumber, 'pubsub')}`;
    const week = `${7 * 24 * 3600}s`;

    this.pushServiceAccount = new ServiceAccount(this, 'push-sa', {
      project: props.projectId,
      accountId: 'pubsub-push',
      displayName: 'Pub/Sub push to coda-push',
    });
    // The service agent mints the OIDC tokens for the push account.
    new ServiceAccountIamMember(this, 'agent-token-creator', {
      serviceAccountId: this.pushServiceAccount.name,
      role: 'roles/iam.serviceAccountTokenCreator',
      member: agent,
    });

    this.topic = new PubsubTopic(this, 'topic', {
      project: props.projectId,
      name: names.topic,
      kmsKeyName: props.kmsKeyId,
      messageRetentionDuration: week,
    });
    this.deadLetterTopic = new PubsubTopic(this, 'dlq-topic', {
      project: props.projectId,
      name: names.deadLetterTopic,
      kmsKeyName: props.kmsKeyId,
      messageRetentionDuration: week,
    });
    this.deadLetterSubscription = new PubsubSubscription(this, 'dlq-subscription', {
      project: props.projectId,
      name: names.deadLetterSubscription,
      topic: this.deadLetterTopic.id,
      messageRetentionDuration: week,
      retainAckedMessages: false,
      ackDeadlineSeconds: 60,
      expirationPolicy: { ttl: '' },
    });
    this.pushSubscription = new PubsubSubscription(this, 'push-subscription', {
      project: props.projectId,
      name: names.pushSubscription,
      topic: this.topic.id,
      ackDeadlineSeconds: props.ackDeadlineSeconds ?? 60,
      messageRetentionDuration: week,
      expirationPolicy: { ttl: '' },
      pushConfig: {
        pushEndpoint: props.pushEndpoint,
        oidcToken: { serviceAccountEmail: this.pushServiceAccount.email, audience: props.pushAudience },
      },
      deadLetterPolicy: {
        deadLetterTopic: this.deadLetterTopic.id,
        maxDeliveryAttempts: props.maxDeliveryAttempts ?? 10,
      },
      retryPolicy: { minimumBackoff: `${backoff.min}s`, maximumBackoff: `${backoff.max}s` },
    });

    new PubsubTopicIamMember(this, 'agent-dlq-publisher', {
      project: props.projectId,
      topic: this.deadLetterTopic.name,
      role: 'roles/pubsub.publisher',
      member: agent,
    });
    new PubsubSubscriptionIamMember(this, 'agent-source-subscriber', {
      project: props.projectId,
      subscription: this.pushSubscription.name,
      role: 'roles/pubsub.subscriber',
      member: agent,
    });
  }

  /** Grants `roles/pubsub.publisher` (pubsub.topics.publish) on the change-events topic only. */
  grantPublish(name: string, member: string): PubsubTopicIamMember {
    validateMember('ChangeEvents', 'member', member);
    return new PubsubTopicIamMember(this, `publish-${name}`, {
      project: this.topic.project,
      topic: this.topic.name,
      role: 'roles/pubsub.publisher',
      member,
    });
  }

  /**
   * Grants `roles/pubsub.subscriber` (pull, ack) on the dead-letter subscription only, for `platform dlq replay`,
   * plus publisher on the source topic so replayed messages can be re-sent.
   */
  grantDeadLetterReplay(name: string, member: string): void {
    validateMember('ChangeEvents', 'member', member);
    new PubsubSubscriptionIamMember(this, `dlq-replay-${name}`, {
      project: this.deadLetterSubscription.project,
      subscription: this.deadLetterSubscription.name,
      role: 'roles/pubsub.subscriber',
      member,
    });
    this.grantPublish(`replay-${name}`, member);
  }
}
