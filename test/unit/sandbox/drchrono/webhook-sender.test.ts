import { createHmac } from 'node:crypto';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDrChronoWebhookSender,
  signDrChronoWebhookBody,
  verifyWebhookHandshake,
} from '../../../../sandbox/drchrono/index.js';
import { serveHttp } from '../../../../shared/serve.js';
import type { RunningServer } from '../../../../shared/serve.js';
import { verifyDrChronoSignature } from '../../../../sync/drchrono/webhook-signature.js';
import { sandboxWithClock } from './helpers.js';

const SECRET = 'test-webhook-secret';

/** A minimal receiver that verifies like our drchrono-sync handler must. */
function receiver(secret: string) {
  const received: Array<{ event: string | undefined; delivery: string | undefined; valid: boolean; body: unknown }> =
    [];
  const app = new Hono();
  app.get('/hook', (c) =>
    c.json({
      secret_token: createHmac('sha256', secret)
        .update(c.req.query('msg') ?? '')
        .digest('hex'),
    }),
  );
  app.post('/hook', async (c) => {
    const raw = await c.req.text();
    const valid = verifyDrChronoSignature(secret, raw, c.req.header('x-drchrono-signature')) !== null;
    received.push({
      event: c.req.header('x-drchrono-event'),
      delivery: c.req.header('x-drchrono-delivery'),
      valid,
      body: JSON.parse(raw),
    });
    return valid ? c.json({ ok: true }) : c.json({ error: 'bad signature' }, 401);
  });
  return { app, received };
}

describe('DrChrono webhook sender', () => {
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('sends DrChrono headers and envelope, signed with the secret token as DrChrono documents', async () => {
    const { app, received } = receiver(SECRET);
    server = await serveHttp(app.fetch);
    const s = sandboxWithClock({ patientCount: 5 });
    const patient = s.control.get('patients', 1_000_001)!;
    const sender = createDrChronoWebhookSender({ callbackUrl: `${server.url}/hook`, secret: SECRET });
    const result = await sender.send('PATIENT_MODIFY', patient);
    expect(result.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ event: 'PATIENT_MODIFY', delivery: result.deliveryId, valid: true });
    expect(received[0]!.body).toEqual({ receiver: { id: 1, url: `${server.url}/hook` }, object: patient });
  });

  it('builds an HMAC-signed delivery on request, whose signature verifies and whose delivery ids are unique', () => {
    const sender = createDrChronoWebhookSender({
      callbackUrl: 'http://127.0.0.1:1/hook',
      secret: SECRET,
      signatureMode: 'hmac',
    });
    const a = sender.build('APPOINTMENT_CREATE', { id: '10000001' });
    const b = sender.build('APPOINTMENT_CREATE', { id: '10000001' });
    expect(a.headers['Content-Type']).toBe('application/json');
    expect(a.headers['X-drchrono-signature']).toBe(createHmac('sha256', SECRET).update(a.body).digest('hex'));
    expect(a.headers['X-drchrono-signature']).toBe(signDrChronoWebhookBody(a.body, SECRET));
    expect(a.deliveryId).not.toBe(b.deliveryId);
    expect(sender.build('PING', {}, { deliveryId: 'fixed' }).headers['X-drchrono-delivery']).toBe('fixed');
  });

  it('sends the secret token itself as the signature by default, as the DrChrono docs describe', () => {
    const sender = createDrChronoWebhookSender({ callbackUrl: 'http://127.0.0.1:1/hook', secret: SECRET });
    expect(sender.build('PING', {}).headers['X-drchrono-signature']).toBe(SECRET);
  });

  it('gets a 401 from a verifying receiver when the body is tampered with', async () => {
    const { app } = receiver(SECRET);
    server = await serveHttp(app.fetch);
    const sender = createDrChronoWebhookSender({
      callbackUrl: `${server.url}/hook`,
      secret: SECRET,
      signatureMode: 'hmac',
    });
    const delivery = sender.build('PATIENT_CREATE', { id: 1 });
    const result = await sender.sendRaw({ ...delivery, body: delivery.body.replace('1', '2') });
    expect(result.status).toBe(401);
  });

  it('verifies the registration handshake and reports a wrong secret as a mismatch', async () => {
    const { app } = receiver(SECRET);
    server = await serveHttp(app.fetch);
    expect(await verifyWebhookHandshake(`${server.url}/hook`, SECRET)).toEqual({ ok: true, status: 200 });
    const sender = createDrChronoWebhookSender({ callbackUrl: `${server.url}/hook`, secret: 'other-secret' });
    expect(await sender.handshake('abc')).toEqual({ ok: false, status: 200, reason: 'mismatch' });
  });

  it('rejects an empty secret at setup', () => {
    expect(() => createDrChronoWebhookSender({ callbackUrl: 'http://127.0.0.1/hook', secret: '' })).toThrow(/secret/);
  });
});
