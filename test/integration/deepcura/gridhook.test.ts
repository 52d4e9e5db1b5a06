import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseApp } from '../../../handlers/app.js';
import { deepcuraWebhookRoutes } from '../../../handlers/drchrono-sync/deepcura.js';
import {
  buildSyntheticDeepcuraNote,
  createDeepcuraSender,
  sealGridhook,
  type DeepcuraNoteInput,
} from '../../../sandbox/deepcura/sender.js';
import { GridhookConfigError } from '../../../sync/deepcura/errors.js';
import { relinkDeepcuraNotes } from '../../../sync/deepcura/link.js';
import { createLogger } from '../../../sync/observability/logger.js';
import { inChangeTransaction } from '../../../sync/db/change-transaction.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';

const key = randomBytes(32);
const now = new Date('2025-03-01T17:00:00Z');
const URL_ = 'http://drchrono-sync.test/webhooks/deepcura';

// Synthetic PHI: a patient name that also appears in the note text. None of it may reach a log line or error body.
const PATIENT_NAME = ['Quillon', 'Vexmortane'] as const;

let t: TestDatabase;
const logs = captureLogs('drchrono-sync');
const responses: string[] = [];
let app: ReturnType<typeof createBaseApp>;
let send: (
  note: DeepcuraNoteInput,
  options?: { sentAt?: Date },
) => Promise<{ status: number; body: Record<string, unknown> }>;
let sendRaw: (
  body: string,
  headers?: Record<string, string>,
) => Promise<{ status: number; body: Record<string, unknown> }>;

beforeAll(async () => {
  t = await createTestDatabase();
  const logger = logs.logger;
  app = createBaseApp({ sql: t.sql, logger, service: 'drchrono-sync' });
  app.route('/', deepcuraWebhookRoutes({ sql: t.sql, logger, key, clock: () => now.getTime() }));
  const fetchApp = (async (input: string, init?: RequestInit) => {
    const res = await app.request(input, init);
    const text = await res.text();
    responses.push(text);
    return new Response(text, { status: res.status, headers: res.headers });
  }) as typeof fetch;
  const sender = createDeepcuraSender({ url: URL_, key, clock: () => now.getTime(), fetch: fetchApp });
  const parse = (r: { status: number; responseBody: string }) => ({
    status: r.status,
    body: JSON.parse(r.responseBody || '{}') as Record<string, unknown>,
  });
  send = async (note, options) => parse(await sender.send(note, options));
  sendRaw = async (body, headers = { 'Content-Type': 'application/json' }) =>
    parse(await sender.sendRaw({ body, headers }));

  await t.sql`INSERT INTO patients (drchrono_id, raw, first_name, last_name) VALUES
    ('p-1', '{}', ${PATIENT_NAME[0]}, ${PATIENT_NAME[1]}), ('p-2', '{}', 'Ambrel', 'Twonotes'), ('p-3', '{}', 'Corvin', 'Nonote')`;
  // p-1: appointment a-1 (with clinical note cn-1) and a-2 late on 1 March New York time = 2 March UTC (cn-2).
  // p-2: two appointments with notes on the same day (ambiguous).
  await t.sql`INSERT INTO appointments (drchrono_id, raw, patient, scheduled_time) VALUES
    ('a-1', '{}', 'p-1', '2025-02-20T15:00:00Z'), ('a-2', '{}', 'p-1', '2025-03-02T02:30:00Z'),
    ('a-3', '{}', 'p-2', '2025-02-25T14:00:00Z'), ('a-4', '{}', 'p-2', '2025-02-25T19:00:00Z')`;
  await t.sql`INSERT INTO clinical_notes (drchrono_id, raw, appointment, patient, locked) VALUES
    ('cn-1', '{}', 'a-1', 'p-1', true), ('cn-2', '{}', 'a-2', 'p-1', true),
    ('cn-3', '{}', 'a-3', 'p-2', true), ('cn-4', '{}', 'a-4', 'p-2', true)`;
});
afterAll(() => t.drop());

const note = (
  overrides: Partial<DeepcuraNoteInput> & { patient?: string; appointment?: string | null; visitDate?: string },
) => {
  const base = buildSyntheticDeepcuraNote({
    patient: overrides.patient ?? 'p-1',
    appointment: overrides.appointment ?? null,
    visitDate: overrides.visitDate ?? '2025-03-01',
    createdAt: now,
    noteId: overrides.note_id === undefined ? `dc-${randomBytes(4).toString('hex')}` : String(overrides.note_id),
  });
  const { patient: _p, appointment: _a, visitDate: _v, ...rest } = overrides;
  return {
    ...base,
    transcript: `${base.transcript} Patient ${PATIENT_NAME.join(' ')} said something synthetic.`,
    ...rest,
  } as DeepcuraNoteInput;
};

async function row(noteId: string) {
  const [r] = await t.sql<Record<string, unknown>[]>`SELECT * FROM deepcura_notes WHERE deepcura_note_id = ${noteId}`;
  return r;
}
async function counts(noteId: string) {
  const [r] = await t.sql<{ notes: string; changes: string; outbox: string; deliveries: string }[]>`
    SELECT (SELECT count(*) FROM deepcura_notes WHERE deepcura_note_id = ${noteId}) AS notes,
           (SELECT count(*) FROM change_log c JOIN deepcura_notes d ON c.table_name = 'deepcura_notes' AND c.row_id = d.id
             WHERE d.deepcura_note_id = ${noteId}) AS changes,
           (SELECT count(*) FROM outbox WHERE table_name = 'deepcura_notes' AND drchrono_id = ${noteId}) AS outbox,
           (SELECT count(*) FROM webhook_deliveries WHERE source = 'deepcura' AND delivery_id LIKE ${`${noteId}@%`}) AS deliveries`;
  return {
    notes: Number(r!.notes),
    changes: Number(r!.changes),
    outbox: Number(r!.outbox),
    deliveries: Number(r!.deliveries),
  };
}
async function totalWrites() {
  const [r] = await t.sql<{ n: string }[]>`
    SELECT (SELECT count(*) FROM deepcura_notes) + (SELECT count(*) FROM webhook_deliveries) + (SELECT count(*) FROM outbox)
         + (SELECT count(*) FROM change_log) AS n`;
  return Number(r!.n);
}

describe('POST /webhooks/deepcura: storing and linking', () => {
  it('stores a note linked by appointment, with its patient and clinical note, audit row and outbox row', async () => {
    const n = note({ appointment: 'a-1', visitDate: '2025-02-20' });
    const res = await send(n);
    expect(res).toEqual({ status: 200, body: { status: 'stored', link_status: 'linked_appointment' } });
    const stored = await row(n.note_id as string);
    expect(stored).toMatchObject({
      source_appointment_id: 'a-1',
      source_patient_id: 'p-1',
      appointment: 'a-1',
      patient: 'p-1',
      clinical_note: 'cn-1',
      link_status: 'linked_appointment',
      risk_level: 'low',
      soap_plan: n.soap.plan,
      transcript: n.transcript,
    });
    expect(stored?.['linked_at']).not.toBeNull();
    expect(stored?.['icd10_suggestions']).toEqual(n.icd10_suggestions);
    expect((stored?.['raw'] as Record<string, unknown>)['sent_at']).toBe(now.toISOString());
    expect(await counts(n.note_id as string)).toEqual({ notes: 1, changes: 1, outbox: 1, deliveries: 1 });
    const [audit] =
      await t.sql`SELECT actor, op FROM change_log WHERE table_name = 'deepcura_notes' AND row_id = ${stored!['id'] as string}`;
    expect(audit).toEqual({ actor: 'webhook:deepcura', op: 'INSERT' });
  });

  it('links by patient and visit date in the practice time zone when there is no appointment id', async () => {
    // a-2 is 2025-03-02T02:30Z = 1 March 21:30 in New York.
    const n = note({ appointment: null, visitDate: '2025-03-01' });
    expect((await send(n)).body).toEqual({ status: 'stored', link_status: 'linked_patient_date' });
    expect(await row(n.note_id as string)).toMatchObject({
      appointment: 'a-2',
      patient: 'p-1',
      clinical_note: 'cn-2',
      link_status: 'linked_patient_date',
    });
  });

  it('falls back to patient and date when the appointment id is unknown', async () => {
    const n = note({ appointment: 'a-unknown', visitDate: '2025-03-01' });
    expect((await send(n)).body).toEqual({ status: 'stored', link_status: 'linked_patient_date' });
  });

  it('leaves a note unlinked (patient kept) when two clinical notes fall on the visit date', async () => {
    const n = note({ patient: 'p-2', visitDate: '2025-02-25' });
    expect((await send(n)).body).toEqual({ status: 'stored', link_status: 'unlinked' });
    expect(await row(n.note_id as string)).toMatchObject({
      patient: 'p-2',
      appointment: null,
      clinical_note: null,
      linked_at: null,
    });
  });

  it('stores an unlinked note and links it when relinkDeepcuraNotes runs after its appointment and note arrive', async () => {
    const n = note({ patient: 'p-late', appointment: 'a-late', visitDate: '2025-03-01' });
    expect((await send(n)).body).toEqual({ status: 'stored', link_status: 'unlinked' });
    expect(await row(n.note_id as string)).toMatchObject({ patient: null, appointment: null, link_status: 'unlinked' });

    // Another engineer's sync upserts the appointment first: linked to it, clinical note still missing.
    await t.sql`INSERT INTO patients (drchrono_id, raw) VALUES ('p-late', '{}')`;
    await t.sql`INSERT INTO appointments (drchrono_id, raw, patient, scheduled_time) VALUES ('a-late', '{}', 'p-late', '2025-03-01T15:00:00Z')`;
    const first = await inChangeTransaction(t.sql, { actor: 'sync:test', requestId: 'relink-1' }, (tx) =>
      relinkDeepcuraNotes(tx, { appointmentIds: ['a-late'], patientIds: ['p-late'] }),
    );
    expect(first).toEqual([expect.objectContaining({ deepcuraNoteId: n.note_id, linkStatus: 'linked_appointment' })]);
    expect(await row(n.note_id as string)).toMatchObject({
      appointment: 'a-late',
      patient: 'p-late',
      clinical_note: null,
    });

    // Then the clinical note locks: the link gains it.
    await t.sql`INSERT INTO clinical_notes (drchrono_id, raw, appointment, patient, locked) VALUES ('cn-late', '{}', 'a-late', 'p-late', true)`;
    const second = await inChangeTransaction(t.sql, { actor: 'sync:test', requestId: 'relink-2' }, (tx) =>
      relinkDeepcuraNotes(tx, { appointmentIds: ['a-late'] }),
    );
    expect(second).toHaveLength(1);
    expect(await row(n.note_id as string)).toMatchObject({
      clinical_note: 'cn-late',
      link_status: 'linked_appointment',
    });
    expect(await counts(n.note_id as string)).toMatchObject({ notes: 1, changes: 3, outbox: 3 });

    // Nothing left to do: a further relink changes nothing and writes nothing.
    const third = await inChangeTransaction(t.sql, { actor: 'sync:test' }, (tx) =>
      relinkDeepcuraNotes(tx, { appointmentIds: ['a-late'], patientIds: ['p-late'] }),
    );
    expect(third).toEqual([]);
    expect(await counts(n.note_id as string)).toMatchObject({ changes: 3, outbox: 3 });
  });

  it('links an unlinked note by patient and date once the clinical note of that day arrives', async () => {
    const n = note({ patient: 'p-3', visitDate: '2025-02-27' });
    expect((await send(n)).body).toEqual({ status: 'stored', link_status: 'unlinked' });
    await t.sql`INSERT INTO appointments (drchrono_id, raw, patient, scheduled_time) VALUES ('a-p3', '{}', 'p-3', '2025-02-27T16:00:00Z')`;
    await t.sql`INSERT INTO clinical_notes (drchrono_id, raw, appointment, patient, locked) VALUES ('cn-p3', '{}', 'a-p3', 'p-3', true)`;
    await inChangeTransaction(t.sql, { actor: 'sync:test' }, (tx) => relinkDeepcuraNotes(tx, { patientIds: ['p-3'] }));
    expect(await row(n.note_id as string)).toMatchObject({
      link_status: 'linked_patient_date',
      appointment: 'a-p3',
      clinical_note: 'cn-p3',
    });
  });

  it('never unlinks on relink when a second clinical note makes the day ambiguous', async () => {
    const n = note({ patient: 'p-3', visitDate: '2025-02-27', note_id: 'dc-keep-link' });
    expect((await send(n)).body).toMatchObject({ link_status: 'linked_patient_date' });
    await t.sql`INSERT INTO appointments (drchrono_id, raw, patient, scheduled_time) VALUES ('a-p3b', '{}', 'p-3', '2025-02-27T20:00:00Z')`;
    await t.sql`INSERT INTO clinical_notes (drchrono_id, raw, appointment, patient, locked) VALUES ('cn-p3b', '{}', 'a-p3b', 'p-3', true)`;
    expect(
      await inChangeTransaction(t.sql, { actor: 'sync:test' }, (tx) =>
        relinkDeepcuraNotes(tx, { patientIds: ['p-3'] }),
      ),
    ).toEqual([]);
    expect(await row('dc-keep-link')).toMatchObject({ link_status: 'linked_patient_date', clinical_note: 'cn-p3' });

    // A newer version with the same ids and date keeps its link too; one naming an appointment moves to it.
    const amended = { ...n, soap: { ...n.soap, plan: `${n.soap.plan} (amended)` } };
    expect((await send(amended, { sentAt: new Date(now.getTime() + 1000) })).body).toEqual({
      status: 'stored',
      link_status: 'linked_patient_date',
    });
    expect(await row('dc-keep-link')).toMatchObject({ clinical_note: 'cn-p3', soap_plan: amended.soap.plan });
    expect(
      (await send({ ...amended, appointment_id: 'a-p3b' }, { sentAt: new Date(now.getTime() + 2000) })).body,
    ).toEqual({ status: 'stored', link_status: 'linked_appointment' });
    expect(await row('dc-keep-link')).toMatchObject({ appointment: 'a-p3b', clinical_note: 'cn-p3b' });
  });
});

describe('POST /webhooks/deepcura: replays and versions', () => {
  it('answers a replayed delivery 200 duplicate and writes nothing a second time', async () => {
    const sender = createDeepcuraSender({
      url: URL_,
      key,
      clock: () => now.getTime(),
      fetch: (async () => new Response()) as typeof fetch,
    });
    const delivery = sender.build(note({ appointment: 'a-1', visitDate: '2025-02-20', note_id: 'dc-replay' }));
    expect(await sendRaw(delivery.body)).toEqual({
      status: 200,
      body: { status: 'stored', link_status: 'linked_appointment' },
    });
    const before = await totalWrites();
    expect(await sendRaw(delivery.body)).toEqual({ status: 200, body: { status: 'duplicate' } });
    // Same note and sent_at under a fresh iv is the same delivery, too.
    expect(await sendRaw(JSON.stringify(sealGridhook(delivery.payload, key)))).toEqual({
      status: 200,
      body: { status: 'duplicate' },
    });
    expect(await totalWrites()).toBe(before);
    expect(await counts('dc-replay')).toEqual({ notes: 1, changes: 1, outbox: 1, deliveries: 1 });
  });

  it('handles concurrent replays of one delivery as one write', async () => {
    const sender = createDeepcuraSender({
      url: URL_,
      key,
      clock: () => now.getTime(),
      fetch: (async () => new Response()) as typeof fetch,
    });
    const delivery = sender.build(note({ note_id: 'dc-race' }));
    const results = await Promise.all([1, 2, 3, 4].map(() => sendRaw(delivery.body)));
    expect(results.map((r) => r.body['status']).sort()).toEqual(['duplicate', 'duplicate', 'duplicate', 'stored']);
    expect(await counts('dc-race')).toEqual({ notes: 1, changes: 1, outbox: 1, deliveries: 1 });
  });

  it('updates the note with a newer version and ignores an identical or older one', async () => {
    const v1 = note({ appointment: 'a-1', visitDate: '2025-02-20', note_id: 'dc-versions' });
    expect((await send(v1, { sentAt: new Date(now.getTime() - 60_000) })).body).toMatchObject({ status: 'stored' });
    const v2 = { ...v1, soap: { ...v1.soap, plan: `${v1.soap.plan} (amended)` } };
    expect((await send(v2)).body).toEqual({ status: 'stored', link_status: 'linked_appointment' });
    expect(await row('dc-versions')).toMatchObject({ soap_plan: v2.soap.plan });
    // Same content again, later: a new delivery, but not a change.
    expect((await send(v2, { sentAt: new Date(now.getTime() + 10_000) })).body).toEqual({
      status: 'unchanged',
      link_status: 'linked_appointment',
    });
    // An older version arriving late never overwrites the newer one.
    const stale = { ...v1, soap: { ...v1.soap, plan: 'older text' } };
    expect((await send(stale, { sentAt: new Date(now.getTime() - 120_000) })).body).toMatchObject({
      status: 'unchanged',
    });
    expect(await row('dc-versions')).toMatchObject({ soap_plan: v2.soap.plan });
    expect(await counts('dc-versions')).toEqual({ notes: 1, changes: 2, outbox: 2, deliveries: 4 });
    const [ignored] =
      await t.sql`SELECT count(*)::int AS n FROM webhook_deliveries WHERE delivery_id LIKE 'dc-versions@%' AND status = 'ignored'`;
    expect(ignored).toEqual({ n: 2 });
  });
});

describe('POST /webhooks/deepcura: bad input', () => {
  const valid = () => note({ appointment: 'a-1', visitDate: '2025-02-20' });

  it('answers 401 for a bad tag, a wrong key and a stale or future sent_at, and writes nothing', async () => {
    const before = await totalWrites();
    const envelope = sealGridhook({ ...valid(), sent_at: now.toISOString() }, key);
    const tag = Buffer.from(envelope.tag, 'base64');
    tag[3] = tag[3]! ^ 0x40;
    for (const body of [
      JSON.stringify({ ...envelope, tag: tag.toString('base64') }),
      JSON.stringify({ ...envelope, tag: Buffer.from(envelope.tag, 'base64').subarray(0, 12).toString('base64') }),
      JSON.stringify(sealGridhook({ ...valid(), sent_at: now.toISOString() }, randomBytes(32))),
      JSON.stringify(sealGridhook({ ...valid(), sent_at: new Date(now.getTime() - 301_000).toISOString() }, key)),
      JSON.stringify(sealGridhook({ ...valid(), sent_at: new Date(now.getTime() + 301_000).toISOString() }, key)),
    ]) {
      expect(await sendRaw(body)).toEqual({ status: 401, body: { error: 'unauthorized' } });
    }
    expect(await totalWrites()).toBe(before);
  });

  it('answers 400 for malformed JSON', async () => {
    expect(await sendRaw('{"v":1,"iv":')).toEqual({ status: 400, body: { error: 'malformed JSON' } });
  });

  it('answers 400 naming the envelope part that is missing', async () => {
    const res = await sendRaw(JSON.stringify({ v: 1, iv: 'AAAAAAAAAAAAAAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==' }));
    expect(res.status).toBe(400);
    expect(res.body['fields']).toEqual(['ciphertext']);
  });

  it('answers 400 naming the payload field, not its value, and writes nothing', async () => {
    const before = await totalWrites();
    const marker = `${PATIENT_NAME[1]}-SECRET-RISK`;
    const bad = {
      ...valid(),
      sent_at: now.toISOString(),
      risk_assessment: { level: marker, factors: [] },
      soap: { ...valid().soap, plan: null },
    };
    const res = await sendRaw(JSON.stringify(sealGridhook(bad, key)));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid payload', fields: ['soap.plan', 'risk_assessment.level'] });
    expect(JSON.stringify(res.body)).not.toContain(marker);
    expect(JSON.stringify(res.body)).not.toContain(PATIENT_NAME[0]);
    expect(await totalWrites()).toBe(before);
  });

  it('answers 413 for a body over 1 MiB, with or without Content-Length', async () => {
    const big = JSON.stringify({ v: 1, iv: 'x', ciphertext: 'A'.repeat(1024 * 1024 + 8), tag: 'x' });
    const withLength = await app.request('/webhooks/deepcura', {
      method: 'POST',
      body: big,
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(big)) },
    });
    expect(withLength.status).toBe(413);
    expect(await withLength.json()).toMatchObject({ error: 'payload too large' });
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const chunked = await app.request('/webhooks/deepcura', {
      method: 'POST',
      body: stream,
      headers: { 'Content-Type': 'application/json' },
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it('answers 415 for a content type other than JSON', async () => {
    const body = JSON.stringify(sealGridhook({ ...valid(), sent_at: now.toISOString() }, key));
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', '']) {
      const res = await sendRaw(body, type ? { 'Content-Type': type } : {});
      expect(res.status).toBe(415);
    }
    expect((await sendRaw(body, { 'Content-Type': 'application/json; charset=utf-8' })).status).toBe(200);
  });

  it('refuses a bad key, window or time zone when the routes are built', () => {
    const base = { sql: t.sql, logger: createLogger({ service: 'test', level: 'silent' }) };
    expect(() => deepcuraWebhookRoutes({ ...base, key: randomBytes(16) })).toThrow(GridhookConfigError);
    expect(() => deepcuraWebhookRoutes({ ...base, key, replayWindowSeconds: 0 })).toThrow(GridhookConfigError);
    expect(() => deepcuraWebhookRoutes({ ...base, key, timeZone: 'Mars/Olympus' })).toThrow(GridhookConfigError);
  });
});

describe('no PHI in logs or error bodies', () => {
  it('never writes note text, SOAP text or the patient name to a log line or response body', () => {
    const phi = [
      PATIENT_NAME[0],
      PATIENT_NAME[1],
      'SYNTHETIC TEST NOTE',
      'Synthetic subjective',
      'Synthetic plan',
      'synthetic-placebo',
      'said something synthetic',
    ];
    expect(logs.lines().length).toBeGreaterThan(10);
    expect(logs.lines().some((l) => l.includes('gridhook rejected'))).toBe(true);
    for (const line of [...logs.lines(), ...responses]) {
      for (const value of phi) expect(line).not.toContain(value);
    }
  });
});
