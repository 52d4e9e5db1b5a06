export * from './types.js';
export * from './errors.js';
export { coalesce, createOutboxRelay, type OutboxRelay, type OutboxRelayOptions, type RelayResult } from './relay.js';
export { createPubSubPublisher, type PubSubPublisherOptions } from './pubsub-publisher.js';
export { createHttpPublisher, PUSH_ACK_STATUSES, type HttpPublisherOptions } from './http-publisher.js';
export {
  setupPubSub,
  PubSubSetupError,
  type PubSubSetupOptions,
  type PubSubSetupResult,
  type SetupAction,
} from './setup.js';
export {
  replayDeadLetters,
  DeadLetterReplayError,
  type ReplayDeadLettersOptions,
  type ReplayedMessage,
} from './dlq.js';
export { pubsubClients, pubsubClientConfig, type PubSubConnection } from './pubsub-clients.js';
export { decodePushEnvelope, PushEnvelopeError, type DecodedPush } from './push-envelope.js';
