export { createDrChronoSandbox } from './app.js';
export type { DrChronoSandbox, DrChronoSandboxControl, DrChronoSandboxOptions, SandboxLogEntry } from './app.js';
export type { FaultOptions } from './faults.js';
export { APPOINTMENT_DATE_RANGE_MAX_DAYS } from './filters.js';
export { listCursorForSlot } from './paging.js';
export { startDrChronoSandbox } from './server.js';
export type { RunningDrChronoSandbox, StartDrChronoSandboxOptions } from './server.js';
export { DEFAULT_CLIENT } from './oauth.js';
export type { SandboxOAuthClient, TokenResponse } from './oauth.js';
export { RESOURCES, SandboxRecordNotFoundError } from './store.js';
export type { ResourceName } from './store.js';
export { createDrChronoWebhookSender, signDrChronoWebhookBody, verifyWebhookHandshake } from './webhook-sender.js';
export type {
  DrChronoWebhookEvent,
  DrChronoWebhookSender,
  HandshakeResult,
  WebhookDelivery,
  WebhookSendResult,
  WebhookSenderOptions,
} from './webhook-sender.js';
export {
  billAppointment,
  denyClaim,
  payClaim,
  postPatientPayment,
  refundPatientPayment,
  resubmitClaim,
} from './revenue-cycle.js';
export type { ClaimState } from './revenue-cycle.js';
export type { SandboxControlResource } from './app.js';
