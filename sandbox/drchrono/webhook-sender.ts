import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { DrChronoRecord } from '../synthetic/dataset.js';

/** DrChrono webhook event names (subset DESIGN §7.1 lists) plus PING. */
export type DrChronoWebhookEvent =
  | 'PATIENT_CREATE'
  | 'PATIENT_MODIFY'
  | 'APPOINTMENT_CREATE'
  | 'APPOINTMENT_MODIFY'
  | 'APPOINTMENT_DELETE'
  | 'CLINICAL_NOTE_LOCK'
  | 'CLINICAL_NOTE_UNLOCK'
  | 'PATIENT_MEDICATION_CREATE'
  | 'PATIENT_MEDICATION_MODIFY'
  | 'PATIENT_PROBLEM_CREATE'
  | 'PATIENT_PROBLEM_MODIFY'
  | 'PATIENT_ALLERGY_CREATE'
  | 'PATIENT_ALLERGY_MODIFY'
  | 'LINE_ITEM_CREATE'
  | 'LINE_ITEM_MODIFY'
  | 'LINE_ITEM_DELETE'
  | 'LINE_ITEM_TRANSACTION_DELETE'
  | 'CASH_PAYMENT_DELETE'
  | 'LAB_ORDER_CREATE'
  | 'LAB_ORDER_MODIFY'
  | 'LAB_ORDER_DELETE'
  | 'PING'
  | (string & {});

export interface WebhookSenderOptions {
  /** The receiver's callback URL (our `POST /webhooks/drchrono`). */
  readonly callbackUrl: string;
  /** The webhook's secret token as configured in DrChrono. */
  readonly secret: string;
  /**
   * How `X-drchrono-signature` is computed: `secret` = the secret token itself (what DrChrono's docs describe and
   * live deliveries carry); `hmac` = hex HMAC-SHA256 of the raw body keyed by the secret (what a few integrations
   * report).
   * @default 'secret'
   */
  readonly signatureMode?: 'hmac' | 'secret';
  /** The `receiver` object echoed in every delivery. @default { id: 1, url: callbackUrl } */
  readonly receiver?: DrChronoRecord;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export interface WebhookDelivery {
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly deliveryId: string;
}

export interface WebhookSendResult {
  readonly status: number;
  readonly deliveryId: string;
  readonly responseBody: string;
}

export interface DrChronoWebhookSender {
  /** Builds the exact body and headers of a delivery without sending it. */
  build(event: DrChronoWebhookEvent, object: DrChronoRecord, options?: { deliveryId?: string }): WebhookDelivery;
  /** POSTs a delivery (a fixed `deliveryId` replays one). */
  send(
    event: DrChronoWebhookEvent,
    object: DrChronoRecord,
    options?: { deliveryId?: string },
  ): Promise<WebhookSendResult>;
  /** POSTs a pre-built delivery as is (e.g. after tampering with the body in a test). */
  sendRaw(delivery: WebhookDelivery): Promise<WebhookSendResult>;
  /** Runs the registration handshake against the callback URL; see {@link verifyWebhookHandshake}. */
  handshake(msg?: string): Promise<HandshakeResult>;
}

/** Hex HMAC-SHA256 of `body` keyed by `secret`, as sent in `X-drchrono-signature`. */
export function signDrChronoWebhookBody(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body, 'utf8').digest('hex');
}

export interface HandshakeResult {
  readonly ok: boolean;
  readonly status: number;
  /** Why it failed, without echoing secrets. */
  readonly reason?: 'status' | 'body' | 'mismatch';
}

/**
 * DrChrono's webhook verification: `GET <callback>?msg=<m>` must answer 200 with
 * `{"secret_token": hex(HMAC-SHA256(key=secret, m))}`.
 */
export async function verifyWebhookHandshake(
  callbackUrl: string,
  secret: string,
  options: { msg?: string; fetch?: typeof fetch } = {},
): Promise<HandshakeResult> {
  const doFetch = options.fetch ?? fetch;
  const msg = options.msg ?? randomUUID().replaceAll('-', '');
  const url = new URL(callbackUrl);
  url.searchParams.set('msg', msg);
  const response = await doFetch(url, { method: 'GET' });
  if (response.status !== 200) return { ok: false, status: response.status, reason: 'status' };
  let token: unknown;
  try {
    token = ((await response.json()) as Record<string, unknown>)['secret_token'];
  } catch {
    return { ok: false, status: response.status, reason: 'body' };
  }
  if (typeof token !== 'string') return { ok: false, status: response.status, reason: 'body' };
  const expected = Buffer.from(createHmac('sha256', secret).update(msg, 'utf8').digest('hex'));
  const actual = Buffer.from(token);
  const ok = actual.length === expected.length && timingSafeEqual(actual, expected);
  return ok ? { ok, status: response.status } : { ok, status: response.status, reason: 'mismatch' };
}

/**
 * Sends webhook deliveries the way DrChrono does: `POST` JSON `{"receiver": {...}, "object": {...}}` with
 * `X-drchrono-event`, `X-drchrono-signature`, `X-drchrono-delivery` and `Content-Type: application/json`.
 * `object` should be the REST serializer's verbose output, which is what DrChrono's deliveries carry (insurance on
 * patients, `clinical_note` on appointments; a note's lock as `signee.locked_by`, no `locked`): `control.get(resource, id)`.
 * Billing deletes (`LINE_ITEM_DELETE`, `LINE_ITEM_TRANSACTION_DELETE`, `CASH_PAYMENT_DELETE`) have no documented body:
 * send what `control.get` returned before the `remove` (receivers must also accept a bare `{id}`).
 */
export function createDrChronoWebhookSender(options: WebhookSenderOptions): DrChronoWebhookSender {
  if (!options.secret) throw new Error('createDrChronoWebhookSender: secret must be a non-empty string');
  new URL(options.callbackUrl); // throws on a malformed URL at setup, not at first send
  const doFetch = options.fetch ?? fetch;
  const mode = options.signatureMode ?? 'secret';
  const receiver = options.receiver ?? { id: 1, url: options.callbackUrl };

  const build: DrChronoWebhookSender['build'] = (event, object, buildOptions) => {
    const body = JSON.stringify({ receiver, object });
    const deliveryId = buildOptions?.deliveryId ?? randomUUID();
    return {
      body,
      deliveryId,
      headers: {
        'Content-Type': 'application/json',
        'X-drchrono-event': event,
        'X-drchrono-signature': mode === 'hmac' ? signDrChronoWebhookBody(body, options.secret) : options.secret,
        'X-drchrono-delivery': deliveryId,
      },
    };
  };
  const sendRaw: DrChronoWebhookSender['sendRaw'] = async (delivery) => {
    const response = await doFetch(options.callbackUrl, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    return { status: response.status, deliveryId: delivery.deliveryId, responseBody: await response.text() };
  };
  return {
    build,
    sendRaw,
    send: (event, object, sendOptions) => sendRaw(build(event, object, sendOptions)),
    handshake: (msg) => verifyWebhookHandshake(options.callbackUrl, options.secret, { msg, fetch: doFetch }),
  };
}
