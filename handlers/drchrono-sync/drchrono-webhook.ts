import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { receiveDrChronoWebhook, WebhookPayloadError, type WebhookDeps } from '../../sync/drchrono/webhook.js';
import { handshakeToken, isHandshakeMessage, verifyDrChronoSignature } from '../../sync/drchrono/webhook-signature.js';
import type { AppEnv } from '../app.js';

export interface DrChronoWebhookRouteDeps extends WebhookDeps {
  /** The secret entered when registering the webhook in DrChrono (API → Webhooks). */
  readonly secret: string;
  /** @default 1 MiB */
  readonly maxBodyBytes?: number;
}

const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const EVENT = /^[A-Z_]{1,64}$/;

/** `GET|POST /webhooks/drchrono`: DrChrono's registration handshake and signed deliveries. */
export function drchronoWebhookRoutes(deps: DrChronoWebhookRouteDeps) {
  if (!deps.secret) throw new Error('drchronoWebhookRoutes: secret is required (DRCHRONO_WEBHOOK_SECRET)');
  const app = new Hono<AppEnv>();

  app.get('/webhooks/drchrono', (c) => {
    const msg = c.req.query('msg');
    // Only DrChrono-shaped tokens are signed: answering arbitrary text would make this a signing oracle.
    if (!isHandshakeMessage(msg)) throw new HTTPException(400, { message: 'msg must be a short token (letters, digits, -_.~+/=)' });
    return c.json({ secret_token: handshakeToken(deps.secret, msg) });
  });

  app.post(
    '/webhooks/drchrono',
    bodyLimit({ maxSize: deps.maxBodyBytes ?? 1024 * 1024, onError: () => { throw new HTTPException(413, { message: 'payload too large' }); } }),
    async (c) => {
      if (!/^application\/json\b/i.test(c.req.header('content-type') ?? '')) throw new HTTPException(415, { message: 'content type must be application/json' });
      const raw = await c.req.text();
      const signatureForm = verifyDrChronoSignature(deps.secret, raw, c.req.header('x-drchrono-signature'));
      if (!signatureForm) {
        deps.logger.warn({ requestId: c.get('requestId') }, 'drchrono webhook refused: bad or missing signature');
        throw new HTTPException(401, { message: 'invalid signature' });
      }
      const event = c.req.header('x-drchrono-event') ?? '';
      if (!EVENT.test(event)) throw new HTTPException(400, { message: 'invalid field: X-drchrono-event' });
      if (event === 'PING') return c.json({ status: 'pong' });
      const deliveryId = c.req.header('x-drchrono-delivery') ?? '';
      if (!DELIVERY_ID.test(deliveryId)) throw new HTTPException(400, { message: 'invalid field: X-drchrono-delivery' });
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        throw new HTTPException(400, { message: 'malformed JSON' });
      }
      try {
        const outcome = await receiveDrChronoWebhook(deps, { event, deliveryId, body, requestId: c.get('requestId') });
        deps.logger.info({ event, deliveryId, signatureForm, outcome: outcome.status, changed: 'changed' in outcome ? outcome.changed : 0 }, 'drchrono webhook');
        return outcome.status === 'ignored' ? c.json({ status: outcome.status, reason: outcome.reason }, 202) : c.json({ status: outcome.status }, 200);
      } catch (error) {
        if (error instanceof WebhookPayloadError) {
          deps.logger.warn({ event, deliveryId, field: error.field }, 'drchrono webhook refused: invalid payload');
          throw new HTTPException(400, { message: error.message });
        }
        throw error;
      }
    },
  );
  return app;
}
