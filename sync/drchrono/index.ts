export * from './types.js';
export {
  CallBudgetExhaustedError,
  DrChronoAuthError,
  DrChronoError,
  DrChronoHttpError,
  DrChronoNetworkError,
  DrChronoProtocolError,
  RateLimitedError,
} from './errors.js';
export { createDrChronoClient } from './client.js';
export type { DrChronoClientOptions } from './client.js';
export { createDrChronoClientFromConfig } from './config.js';
export type { ConfiguredDrChronoClient, DrChronoClientConfig } from './config.js';
export { createTokenManager, REFRESH_LOCK_KEY } from './token-manager.js';
export type { TokenManager, TokenManagerOptions } from './token-manager.js';
export {
  FileTokenStore,
  SecretManagerTokenStore,
  SecretManagerError,
  TokenStoreFormatError,
  SECRET_MANAGER_BASE_URL,
  metadataServerAccessToken,
  parseTokenPair,
  parseTokenStore,
  serializeTokenPair,
} from './token-store.js';
export type { SecretManagerTokenStoreOptions, TokenPair, TokenStore, TokenStoreDependencies } from './token-store.js';
export { createCallBudget, hourStart, nextHourStart } from './budget.js';
export type { CallBudget, CallBudgetOptions } from './budget.js';
export { createAccessLogWriter, drchronoPathTemplate } from './access-log.js';
export type { AccessLogEntry, AccessLogWriter } from './access-log.js';
