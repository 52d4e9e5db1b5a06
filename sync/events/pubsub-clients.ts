import { PubSub, v1, type ClientConfig } from '@google-cloud/pubsub';

export interface PubSubConnection {
  /** PUBSUB_PROJECT_ID. */
  readonly projectId: string;
  /** `host:port` of the emulator. @default unset: PUBSUB_EMULATOR_HOST if set, else Google's endpoint (ADC) */
  readonly apiEndpoint?: string;
}

/** gRPC status codes the admin calls branch on. */
export const GrpcStatus = { NOT_FOUND: 5, ALREADY_EXISTS: 6 } as const;

export function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Options for `new PubSub(...)`. For an emulator endpoint (`apiEndpoint`, else PUBSUB_EMULATOR_HOST, not on
 * googleapis.com) it pins emulator mode and the default universe, so the client does not probe the GCE metadata
 * server for credentials it will not use (that probe only prints MetadataLookupWarning, once per call).
 */
export function pubsubClientConfig(connection: PubSubConnection, env: NodeJS.ProcessEnv = process.env): ClientConfig {
  const endpoint = connection.apiEndpoint ?? env.PUBSUB_EMULATOR_HOST;
  const emulator =
    endpoint !== undefined &&
    endpoint !== '' &&
    !/\.googleapis\.com(:\d+)?\/?$/.test(endpoint.replace(/^https?:\/\//, ''));
  return {
    projectId: connection.projectId,
    ...(connection.apiEndpoint ? { apiEndpoint: connection.apiEndpoint } : {}),
    ...(emulator ? { apiEndpoint: endpoint, emulatorMode: true, universeDomain: 'googleapis.com' } : {}),
  };
}

/**
 * The library's low-level clients configured the way `new PubSub(...)` configures itself (emulator detection from
 * `apiEndpoint` or PUBSUB_EMULATOR_HOST, insecure channel for the emulator, ADC otherwise).
 */
export function pubsubClients(connection: PubSubConnection) {
  const pubsub = new PubSub(pubsubClientConfig(connection));
  // determineBaseUrl_ has parsed the port to a number; the config type still allows the string form.
  const options = {
    ...pubsub.options,
    port: pubsub.options.port === undefined ? undefined : Number(pubsub.options.port),
  };
  const publisher = new v1.PublisherClient(options);
  const subscriber = new v1.SubscriberClient(options);
  return {
    pubsub,
    publisher,
    subscriber,
    topicName: (id: string) => `projects/${connection.projectId}/topics/${id}`,
    subscriptionName: (id: string) => `projects/${connection.projectId}/subscriptions/${id}`,
    async close() {
      await Promise.allSettled([publisher.close(), subscriber.close(), pubsub.close()]);
    },
  };
}
export type PubSubClients = ReturnType<typeof pubsubClients>;
