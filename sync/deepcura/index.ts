export {
  assertGridhookFresh,
  assertGridhookKey,
  decryptGridhook,
  encryptGridhook,
  parseGridhookKey,
  DEFAULT_REPLAY_WINDOW_SECONDS,
  GRIDHOOK_IV_BYTES,
  GRIDHOOK_KEY_BYTES,
  GRIDHOOK_TAG_BYTES,
  GRIDHOOK_VERSION,
} from './decrypt.js';
export type { GridhookEnvelope } from './decrypt.js';
export { GridhookAuthError, GridhookConfigError, GridhookPayloadError, GridhookStaleError } from './errors.js';
export { gridhookPayloadSchema, parseGridhookPayload } from './payload.js';
export type { GridhookPayload, GridhookPayloadInput } from './payload.js';
export { DEEPCURA_ACTOR, gridhookDeliveryId, storeDeepcuraNote } from './store.js';
export type { StorableNote, StoreOptions, StoreResult } from './store.js';
export { assertTimeZone, DEFAULT_PRACTICE_TIME_ZONE, relinkDeepcuraNotes } from './link.js';
export type { LinkStatus, RelinkOptions, RelinkedNote } from './link.js';
export { createGridhookReceiver, openGridhook } from './receive.js';
export type { GridhookReceiveResult, GridhookReceiver, GridhookReceiverDeps, OpenGridhookOptions } from './receive.js';
