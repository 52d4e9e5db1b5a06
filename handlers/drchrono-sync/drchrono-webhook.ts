import { Hono, type Context } from 'hono';
import { receiveDrChronoWebhook, WebhookPayloadError, type WebhookDeps } from '../../sync/drchrono/webhook.js';
import {
  handshakeToken,
  isHandshakeMessage,
  verifyDrChronoSignature,
  type SignatureForm,
} from '../../sync/drchrono/webhook-signature.js';
import type { AppEnv } from '../app.js';
import { httpError, statusFor, type ErrorStatusRow } from '../middleware/http-error.js';
import { jsonBody, type JsonBodyVariables } from '../middleware/json-body.js';

export interface DrChronoWebhookRouteDeps extends WebhookDeps {
  /** The secret entered when registering the webhook in DrChrono (API → Webhooks). */
  readonly secret: string;
}

/** Largest delivery accepted: 1 MiB (a patient with its insurances is a few kB). */
const MAX_BODY_BYTES = 1024 * 1024;

const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const EVENT = /^[A-Z_]{1,64}$/;

/** What the delivery route answers for the errors it knows; anything else is the app's generic 500. */
const webhookErrorStatus: readonly ErrorStatusRow[] = [
  [WebhookPayloadError, 400, (error) => error.message], // `invalid field: <path>`, never the value
];

type Delivery = { signatureForm: SignatureForm; event: string; deliveryId: string };

/**
 * `GET|POST /webhooks/drchrono`: DrChrono's registration handshake and signed deliveries.
 * A delivery is checked in this order, each before its body is parsed: 415 unless JSON, 413 over 1 MiB, 401
 * `{error:'unauthorized'}` for a missing or wrong signature, 400 `invalid field: X-drchrono-event|X-drchrono-delivery`;
 * then 400 `malformed JSON`, 400 `invalid field: <path>` for a payload of the wrong shape. `PING` answers `{status:'pong'}`.
 */
export function drchronoWebhookRoutes(deps: DrChronoWebhookRouteDeps) {
  if (!deps.secret) throw new Error('drchronoWebhookRoutes: secret is required (DRCHRONO_WEBHOOK_SECRET)');
  const app = new Hono<AppEnv & { Variables: JsonBodyVariables & { delivery: Delivery } }>();

  app.get('/webhooks/drchrono', (c) => {
    const msg = c.req.query('msg');
    // Only DrChrono-shaped tokens are signed: answering arbitrary text would make this a signing oracle.
    if (!isHandshakeMessage(msg)) throw httpError(400, 'msg must be a short token (letters, digits, -_.~+/=)');
    return c.json({ secret_token: handshakeToken(deps.secret, msg) });
  });

  /** The signature covers the exact bytes, so it and the headers are checked before the body is parsed. */
  const verifyDelivery = (c: Context, raw: string) => {
    const signatureForm = verifyDrChronoSignature(deps.secret, raw, c.req.header('x-drchrono-signature'));
    if (!signatureForm) {
      deps.logger.warn({ requestId: c.get('requestId') }, 'drchrono webhook refused: bad or missing signature');
      throw httpError(401, 'unauthorized');
    }
    const event = c.req.header('x-drchrono-event') ?? '';
    if (!EVENT.test(event)) throw httpError(400, 'invalid field: X-drchrono-event');
    const deliveryId = c.req.header('x-drchrono-delivery') ?? '';
    if (event !== 'PING' && !DELIVERY_ID.test(deliveryId)) throw httpError(400, 'invalid field: X-drchrono-delivery');
    c.set('delivery', { signatureForm, event, deliveryId });
  };

  app.post('/webhooks/drchrono', jsonBody({ maxBytes: MAX_BODY_BYTES, verify: verifyDelivery }), async (c) => {
    const { signatureForm, event, deliveryId } = c.get('delivery');
    if (event === 'PING') return c.json({ status: 'pong' });
    try {
      const outcome = await receiveDrChronoWebhook(deps, {
        event,
        deliveryId,
        body: c.get('jsonBody'),
        requestId: c.get('requestId'),
      });
      deps.logger.info(
        {
          event,
          deliveryId,
          signatureForm,
          outcome: outcome.status,
          changed: 'changed' in outcome ? outcome.changed : 0,
        },
        'drchrono webhook',
      );
      return outcome.status === 'ignored'
        ? c.json({ status: outcome.status, reason: outcome.reason }, 202)
        : c.json({ status: outcome.status }, 200);
    } catch (error) {
      const known = statusFor(error, webhookErrorStatus);
      if (!known) throw error;
      deps.logger.warn(
        { event, deliveryId, field: (error as WebhookPayloadError).field },
        'drchrono webhook refused: invalid payload',
      );
      throw httpError(known.status, known.phrase, undefined, { cause: error });
    }
  });
  return app;
}
