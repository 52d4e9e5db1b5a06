import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBaseApp } from '../../../handlers/app.js';
import { drchronoWebhookRoutes } from '../../../handlers/drchrono-sync/drchrono-webhook.js';
import { createDrChronoSandbox } from '../../../sandbox/drchrono/index.js';
import { createDrChronoWebhookSender } from '../../../sandbox/drchrono/webhook-sender.js';
import { syntheticPhiValues } from '../../../sandbox/synthetic/index.js';
import { handshakeToken } from '../../../sync/drchrono/webhook-signature.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';

const SECRET = 'test-webhook-secret';
const TZ = 'America/New_York';
let t: TestDatabase;
const logs = captureLogs('drchrono-sync');
const sandbox = createDrChronoSandbox({ patientCount: 20, seed: 7 });
let app: ReturnType<typeof createBaseApp>;
let errorBodies: string[] = [];

const fetchApp: typeof fetch = async (input, init) => {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  const res = await app.request(url.pathname + url.search, init as RequestInit);
  if (res.status >= 400) errorBodies.push(await res.clone().text());
  return res;
};
const sender = createDrChronoWebhookSender({
  callbackUrl: 'http://drchrono-sync.local/webhooks/drchrono',
  secret: SECRET,
  fetch: fetchApp,
});
const hmacSender = createDrChronoWebhookSender({
  callbackUrl: 'http://drchrono-sync.local/webhooks/drchrono',
  secret: SECRET,
  fetch: fetchApp,
  signatureMode: 'hmac',
});

beforeAll(async () => {
  t = await createTestDatabase();
  app = createBaseApp({ sql: t.sql, logger: logs.logger, service: 'drchrono-sync' });
  app.route('/', drchronoWebhookRoutes({ sql: t.sql, logger: logs.logger, timeZone: TZ, secret: SECRET }));
});
afterAll(() => t.drop());
beforeEach(() => {
  errorBodies = [];
});

const count = async (table: string, where = 'true') =>
  Number((await t.sql.unsafe(`SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0]!.n);
const patient = (i: number) => sandbox.control.get('patients', 1_000_000 + i)!;
const post = (headers: Record<string, string>, body: string) =>
  app.request('/webhooks/drchrono', { method: 'POST', headers, body });

describe('DrChrono webhook registration', () => {
  it('answers the handshake with hex HMAC-SHA256 of msg keyed by the secret', async () => {
    const result = await sender.handshake('verify-me-123');
    expect(result.ok).toBe(true);
    const res = await app.request('/webhooks/drchrono?msg=abc');
    expect(await res.json()).toEqual({ secret_token: handshakeToken(SECRET, 'abc') });
  });

  it('refuses a handshake without msg', async () => {
    expect((await app.request('/webhooks/drchrono')).status).toBe(400);
  });
});

describe('DrChrono webhook deliveries', () => {
  it('stores a signed PATIENT_CREATE with its insurance rows, change_log and outbox rows in one go', async () => {
    const res = await sender.send('PATIENT_CREATE', patient(0));
    expect(res.status).toBe(200);
    expect(await count('patients', `drchrono_id = '1000000'`)).toBe(1);
    expect(await count('insurance_records', `patient = '1000000'`)).toBeGreaterThan(0);
    expect(await count('outbox', `table_name = 'patients' AND drchrono_id = '1000000'`)).toBe(1);
    expect(await count('change_log', `table_name = 'patients' AND actor = 'webhook:drchrono'`)).toBe(1);
  });

  it('accepts the secret itself as the signature, as DrChrono documents', async () => {
    const delivery = sender.build('PATIENT_MODIFY', patient(1));
    const res = await post({ ...delivery.headers, 'X-drchrono-signature': SECRET }, delivery.body);
    expect(res.status).toBe(200);
  });

  it('answers PING with 200 and writes nothing', async () => {
    const before = await count('webhook_deliveries');
    expect((await sender.send('PING' as never, { id: 0 })).status).toBe(200);
    expect(await count('webhook_deliveries')).toBe(before);
  });

  it('treats a replayed delivery id as done: 200, no second write', async () => {
    const delivery = sender.build(
      'PATIENT_MODIFY',
      { ...patient(2), updated_at: '2026-05-01T10:00:00' },
      { deliveryId: 'replay-1' },
    );
    expect((await sender.sendRaw(delivery)).status).toBe(200);
    const outbox = await count('outbox');
    const changes = await count('change_log');
    const again = await post(delivery.headers, delivery.body);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate' });
    expect(await count('outbox')).toBe(outbox);
    expect(await count('change_log')).toBe(changes);
  });

  it('never lets an older delivery overwrite newer data (out-of-order webhooks)', async () => {
    const p = patient(3);
    await sender.send('PATIENT_MODIFY', { ...p, first_name: 'Newer', updated_at: '2026-06-02T09:00:00' });
    const res = await sender.send('PATIENT_MODIFY', { ...p, first_name: 'Older', updated_at: '2026-06-01T09:00:00' });
    expect(res.status).toBe(200);
    const [row] = await t.sql`SELECT first_name FROM patients WHERE drchrono_id = ${String(p.id)}`;
    expect(row!.first_name).toBe('Newer');
  });

  it('acknowledges an unknown event with 202 and logs it', async () => {
    const res = await sender.send('TASK_CREATE' as never, { id: 5 });
    expect(res.status).toBe(202);
    expect(logs.text()).toMatch(/webhook event not handled/);
  });

  it('stores a CLINICAL_NOTE_LOCK whose note, as DrChrono serialises it, has signee.locked_by and no locked', async () => {
    let note: Record<string, unknown> | null = null;
    for (let slot = 0; !note && slot < sandbox.control.dataset.slotCount('clinical_notes'); slot++) {
      const generated = sandbox.control.dataset.child('clinical_notes', slot);
      const served = generated ? sandbox.control.get('clinical_notes', String(generated['id'])) : null;
      if ((served?.['signee'] as { locked_by?: unknown } | null | undefined)?.locked_by != null) note = served;
    }
    expect(note).not.toHaveProperty('locked');
    expect((await sender.send('CLINICAL_NOTE_LOCK', note as { id: number })).status).toBe(200);
    const [stored] =
      await t.sql`SELECT locked, locked_by FROM clinical_notes WHERE drchrono_id = ${String(note!['id'])}`;
    expect(stored).toMatchObject({ locked: true, locked_by: expect.any(String) });
  });

  it('applies appointment, note, medication, problem and allergy events, and soft-deletes on APPOINTMENT_DELETE', async () => {
    const appointment = Object.assign({}, sandbox.control.get('appointments', '10000000')!, { patient: 1_000_000 });
    expect((await sender.send('APPOINTMENT_CREATE', appointment)).status).toBe(200);
    const note = {
      id: 20000099,
      appointment: appointment.id,
      patient: 1_000_000,
      doctor: appointment['doctor'],
      locked: true,
      clinical_note_sections: [],
      updated_at: '2026-01-02T10:00:00',
    };
    expect((await sender.send('CLINICAL_NOTE_LOCK', note)).status).toBe(200);
    expect(
      (await sender.send('CLINICAL_NOTE_UNLOCK', { ...note, locked: false, updated_at: '2026-01-03T10:00:00' })).status,
    ).toBe(200);
    const [stored] = await t.sql`SELECT locked, unlocked_at FROM clinical_notes WHERE drchrono_id = '20000099'`;
    expect(stored!.locked).toBe(false);
    expect(stored!.unlocked_at).not.toBeNull();
    for (const [event, object] of [
      [
        'PATIENT_MEDICATION_CREATE',
        { id: 30000099, patient: 1_000_000, name: 'Test med', dosage_units: 'mg', updated_at: '2026-01-01T00:00:00' },
      ],
      [
        'PATIENT_PROBLEM_CREATE',
        { id: 40000099, patient: 1_000_000, icd_code: 'F41.1', icd_version: '10', updated_at: '2026-01-01T00:00:00' },
      ],
      [
        'PATIENT_ALLERGY_CREATE',
        { id: 50000099, patient: 1_000_000, description: 'Latex', reaction: 'Rash', updated_at: '2026-01-01T00:00:00' },
      ],
    ] as const) {
      expect((await sender.send(event, object)).status, event).toBe(200);
    }
    expect(await count('medications', `drchrono_id = '30000099'`)).toBe(1);
    expect(await count('problems', `drchrono_id = '40000099' AND icd_version = 10`)).toBe(1);
    expect(await count('allergies', `drchrono_id = '50000099'`)).toBe(1);
    expect((await sender.send('APPOINTMENT_DELETE', { id: appointment.id })).status).toBe(200);
    expect(await count('appointments', `drchrono_id = '${appointment.id}' AND deleted_at IS NOT NULL`)).toBe(1);
    expect(await count('outbox', `table_name = 'appointments' AND op = 'delete'`)).toBe(1);
  });
});

describe('DrChrono webhook bad input', () => {
  const p = () => patient(4);

  it('refuses a wrong signature with 401 and writes nothing', async () => {
    const before = await count('webhook_deliveries');
    const delivery = sender.build('PATIENT_MODIFY', p());
    expect((await post({ ...delivery.headers, 'X-drchrono-signature': 'f'.repeat(64) }, delivery.body)).status).toBe(
      401,
    );
    expect(await count('webhook_deliveries')).toBe(before);
    expect(await count('patients', `drchrono_id = '${p().id}'`)).toBe(0);
  });

  it('refuses a missing signature with 401', async () => {
    const delivery = sender.build('PATIENT_MODIFY', p());
    const { 'X-drchrono-signature': _, ...headers } = delivery.headers as Record<string, string>;
    const res = await post(headers, delivery.body);
    expect(res.status).toBe(401);
    // The same body as every other 401 (auth middlewares, Deep Cura): the reason is logged, not answered.
    expect(await res.json()).toEqual({ error: 'unauthorized' });
  });

  it('refuses a body whose HMAC signature belongs to another body', async () => {
    const delivery = hmacSender.build('PATIENT_MODIFY', p());
    expect((await post(delivery.headers, delivery.body.replace('"A"', '"I"'))).status).toBe(401);
  });

  it('refuses malformed JSON with 400', async () => {
    const body = '{"object": {"id": 1,';
    const res = await post({ ...sender.build('PATIENT_MODIFY', p()).headers, 'X-drchrono-signature': SECRET }, body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'malformed JSON' });
  });

  it('refuses a payload of the wrong shape with 400 naming the field, not its value', async () => {
    const bad = { ...p(), date_of_birth: 'April 1st 1990 (secret-dob-value)' };
    const res = await sender.send('PATIENT_MODIFY', bad);
    expect(res.status).toBe(400);
    const body = res.responseBody;
    expect(body).toContain('object.date_of_birth');
    expect(body).not.toContain('secret-dob-value');
    expect(await count('patients', `drchrono_id = '${p().id}'`)).toBe(0);
  });

  it('refuses a body over 1 MB with 413', async () => {
    const big = JSON.stringify({ object: { ...p(), padding: 'x'.repeat(1024 * 1024) } });
    const res = await post(
      {
        'Content-Type': 'application/json',
        'X-drchrono-event': 'PATIENT_MODIFY',
        'X-drchrono-delivery': 'big-1',
        'X-drchrono-signature': SECRET,
      },
      big,
    );
    expect(res.status).toBe(413);
  });

  it('refuses a non-JSON content type with 415', async () => {
    const delivery = sender.build('PATIENT_MODIFY', p());
    expect((await post({ ...delivery.headers, 'Content-Type': 'text/plain' }, delivery.body)).status).toBe(415);
  });

  it('refuses a missing delivery id with 400', async () => {
    const delivery = sender.build('PATIENT_MODIFY', p());
    const { 'X-drchrono-delivery': _, ...headers } = delivery.headers as Record<string, string>;
    expect((await post(headers, delivery.body)).status).toBe(400);
  });
});

describe('forged and replayed DrChrono deliveries', () => {
  const forged = (i: number) => ({ ...patient(i), first_name: 'Forged', updated_at: '2999-01-01T00:00:00' });

  it('refuses to sign a delivery body through the handshake, so the signing-oracle forgery answers 401 and writes nothing', async () => {
    const body = JSON.stringify({ receiver: { id: 1 }, object: forged(5) });
    const oracle = await app.request(`/webhooks/drchrono?msg=${encodeURIComponent(body)}`);
    expect(oracle.status).toBe(400);
    expect(await oracle.text()).not.toContain('secret_token');
    // The forger's best guess is the handshake's algorithm applied to the body; without the oracle it needs the secret.
    const guess = createHmac('sha256', 'not-the-secret').update(body).digest('hex');
    const headers = {
      'Content-Type': 'application/json',
      'X-drchrono-event': 'PATIENT_MODIFY',
      'X-drchrono-delivery': 'forged-1',
      'X-drchrono-signature': guess,
    };
    expect((await post(headers, body)).status).toBe(401);
    expect(await count('patients', `drchrono_id = '${patient(5).id}'`)).toBe(0);
    expect(await count('webhook_deliveries', `delivery_id = 'forged-1'`)).toBe(0);
  });

  it('never accepts a handshake answer as a delivery signature', async () => {
    for (const msg of ['abc', 'a'.repeat(128), 'dG9rZW4=', '1', 'x.y~z']) {
      const res = await app.request(`/webhooks/drchrono?msg=${encodeURIComponent(msg)}`);
      expect(res.status, msg).toBe(200);
      const { secret_token: token } = (await res.json()) as { secret_token: string };
      const headers = {
        'Content-Type': 'application/json',
        'X-drchrono-event': 'PATIENT_MODIFY',
        'X-drchrono-delivery': `oracle-${msg.length}`,
        'X-drchrono-signature': token,
      };
      expect((await post(headers, msg)).status, msg).toBe(401);
    }
    expect(await count('webhook_deliveries', `delivery_id LIKE 'oracle-%'`)).toBe(0);
  });

  it('refuses handshake messages that are not short tokens (JSON, spaces, over 128 characters)', async () => {
    for (const msg of ['{"object":{}}', 'a b', 'a'.repeat(129), '', '<script>']) {
      expect((await app.request(`/webhooks/drchrono?msg=${encodeURIComponent(msg)}`)).status, msg).toBe(400);
    }
  });

  it('still accepts hex HMAC-SHA256 of a JSON object body (the form some integrations report)', async () => {
    const res = await hmacSender.send('PATIENT_MODIFY', patient(6));
    expect(res.status).toBe(200);
    expect(await count('patients', `drchrono_id = '${patient(6).id}'`)).toBe(1);
  });

  it('does not delete an appointment when a captured MODIFY body is replayed as APPOINTMENT_DELETE under a new delivery id', async () => {
    const appointment = Object.assign({}, sandbox.control.get('appointments', '10000001')!, {
      patient: patient(7).id,
      deleted_flag: false,
    });
    const captured = sender.build('APPOINTMENT_MODIFY', appointment);
    expect((await sender.sendRaw(captured)).status).toBe(200);
    const replay = await post(
      { ...captured.headers, 'X-drchrono-event': 'APPOINTMENT_DELETE', 'X-drchrono-delivery': 'replayed-as-delete' },
      captured.body,
    );
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ status: 'ignored', reason: 'delete of a record the body shows alive' });
    expect(await count('appointments', `drchrono_id = '${appointment.id}' AND deleted_at IS NULL`)).toBe(1);
    expect(
      await count('outbox', `table_name = 'appointments' AND drchrono_id = '${appointment.id}' AND op = 'delete'`),
    ).toBe(0);
    // A genuine delete (the id alone, or the record flagged deleted) still deletes.
    expect((await sender.send('APPOINTMENT_DELETE', { ...appointment, deleted_flag: true })).status).toBe(200);
    expect(await count('appointments', `drchrono_id = '${appointment.id}' AND deleted_at IS NOT NULL`)).toBe(1);
  });

  it("refuses a body of one resource replayed under another resource's event with 400 naming the missing field", async () => {
    const captured = sender.build('PATIENT_MODIFY', patient(8));
    const res = await post(
      { ...captured.headers, 'X-drchrono-event': 'APPOINTMENT_MODIFY', 'X-drchrono-delivery': 'cross-resource' },
      captured.body,
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'invalid field: object.scheduled_time' });
    expect(await count('appointments', `drchrono_id = '${patient(8).id}'`)).toBe(0);
  });
});

describe("objects shaped by DrChrono's published schema", () => {
  it('accepts medication, problem and allergy deliveries without updated_at (the schema lists none)', async () => {
    for (const [event, object, table] of [
      [
        'PATIENT_MEDICATION_MODIFY',
        { id: 30000199, patient: 1_000_000, doctor: null, name: 'Lithium carbonate 300 mg', dosage_units: 'mg' },
        'medications',
      ],
      [
        'PATIENT_PROBLEM_MODIFY',
        { id: 40000199, patient: 1_000_000, doctor: null, icd_code: 'F31.81', icd_version: '10', name: 'Bipolar II' },
        'problems',
      ],
      [
        'PATIENT_ALLERGY_MODIFY',
        { id: 50000199, patient: 1_000_000, doctor: null, description: 'Latex', reaction: 'Rash' },
        'allergies',
      ],
    ] as const) {
      expect((await sender.send(event, object)).status, event).toBe(200);
      expect(await count(table, `drchrono_id = '${object.id}' AND source_updated_at IS NULL`), table).toBe(1);
    }
  });
});

describe('what leaves the boundary', () => {
  it('no log line or error body carries a synthetic patient value', async () => {
    const phi = [0, 1, 2, 3, 4]
      .flatMap((i) => syntheticPhiValues(sandbox.control.dataset, i))
      .filter((v) => v.length >= 4);
    expect(phi.length).toBeGreaterThan(20);
    const exposed = [logs.text(), ...errorBodies].join('\n');
    for (const value of phi) expect(exposed, 'PHI value leaked').not.toContain(value);
  });
});
