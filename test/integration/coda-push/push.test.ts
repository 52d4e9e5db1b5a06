import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodaPushApp } from '../../../handlers/coda-push/app.js';
import { requirePushAuth, requireSchedulerOrStaff } from '../../../handlers/middleware/google-auth.js';
import { startCodaSandbox, type RunningCodaSandbox } from '../../../sandbox/coda/index.js';
import { startGoogleOidcSandbox, type RunningGoogleOidcSandbox } from '../../../sandbox/google-oidc/index.js';
import { createGoogleIdTokenVerifier } from '../../../sync/auth/index.js';
import { createCodaClient, type CodaClient } from '../../../sync/coda/client.js';
import { CodaMappingError } from '../../../sync/coda/errors.js';
import {
  defaultCodaDocSpec,
  mappingFromCreatedDoc,
  validateMappingAgainstCoda,
  type CodaMapping,
} from '../../../sync/coda/mapping.js';
import { createCodaRateLimiter } from '../../../sync/coda/rate-limiter.js';
import { buildPushEnvelope, encodeChangeEvent, type ChangeEvent } from '../../../sync/events/types.js';
import { mirrors, type MirrorRows } from '../../../sync/mirrors.js';
import { softDeleteBatch, upsertRows } from '../../../sync/upsert.js';
import { inChangeTransaction } from '../../../sync/db/change-transaction.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { compareCodaWithPostgres } from '../../harness/coda-compare.js';
import { captureLogs } from '../../harness/logs.js';

const TOKEN = 'coda-push-test-token';
const SUB = 'projects/local/subscriptions/change-events-push';
const PUSH_URL = 'https://coda-push.example.run.app/pubsub/push';
const SERVICE_URL = 'https://coda-push.example.run.app';
const PUSHER = 'pubsub-push@feel-august.iam.gserviceaccount.com';
const SCHEDULER = 'scheduler@feel-august.iam.gserviceaccount.com';
/** Window for most tests (the sandbox supports a shorter one); one test below runs Coda's real 6 s window. */
const WINDOW_MS = 1_000;
const SENTINEL = 'Zephyrquill';

let t: TestDatabase;
let coda: RunningCodaSandbox;
let issuer: RunningGoogleOidcSandbox;
let mapping: CodaMapping;
let client: CodaClient;
const logs = captureLogs('coda-push');

const patient = (n: number): MirrorRows['patients'] => ({
  drchrono_id: String(900_000 + n),
  first_name: `${SENTINEL}${n}`,
  last_name: 'Oxbloodworth',
  date_of_birth: `19${50 + (n % 50)}-0${1 + (n % 9)}-1${n % 10}`,
  email: `zq${n}@example.invalid`,
  cell_phone: n % 3 === 0 ? null : `555-01${String(n % 100).padStart(2, '0')}`,
  patient_status: 'A',
  raw: { id: 900_000 + n, first_name: `${SENTINEL}${n}` },
  source_updated_at: `2026-01-0${1 + (n % 9)}T10:00:0${n % 10}+00:00`,
});

function buildApp(
  overrides: { pushAuth?: ReturnType<typeof requirePushAuth>; client?: CodaClient; mutationTimeoutMs?: number } = {},
) {
  return createCodaPushApp({
    sql: t.sql,
    logger: logs.logger,
    coda: overrides.client ?? client,
    mapping,
    pushAuth: overrides.pushAuth ?? requirePushAuth({ mode: 'none', logger: logs.logger }),
    operatorGuard: requireSchedulerOrStaff({
      oidc: createGoogleIdTokenVerifier({ jwksUrl: issuer.jwksUrl, audience: SERVICE_URL, allowedEmails: [SCHEDULER] }),
      sql: t.sql,
      staffRoles: [],
      logger: logs.logger,
    }),
    mutationTimeoutMs: overrides.mutationTimeoutMs ?? 5_000,
    pollIntervalMs: 20,
  });
}

const envelope = (event: ChangeEvent, messageId: string = randomUUID()) =>
  buildPushEnvelope(encodeChangeEvent(event), messageId, SUB);

const post = (app: ReturnType<typeof buildApp>, body: unknown, headers: Record<string, string> = {}) =>
  app.request('/pubsub/push', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function idsOf(table: string, drchronoIds?: string[]): Promise<number[]> {
  const rows = drchronoIds
    ? await t.sql.unsafe<{ id: string }[]>(`SELECT id FROM ${table} WHERE drchrono_id = ANY($1) ORDER BY id`, [
        drchronoIds,
      ])
    : await t.sql.unsafe<{ id: string }[]>(`SELECT id FROM ${table} ORDER BY id`);
  return rows.map((r) => Number(r.id));
}

/** Every Coda row equals its Postgres row, field by field, and there is exactly one Coda row per Postgres row. */
async function expectCodaEqualsPostgres(table: string): Promise<void> {
  const result = await compareCodaWithPostgres(t.sql, mapping, (id) => coda.control.rows(id), table);
  expect(result).toMatchObject({ missing: [], duplicates: [], mismatched: [], extra: [] });
  expect(result.codaRows).toBe(result.postgresRows);
}

const processed = async (messageId: string) =>
  (await t.sql`SELECT 1 FROM processed_messages WHERE message_id = ${messageId}`).length === 1;

beforeAll(async () => {
  [t, coda, issuer] = await Promise.all([
    createTestDatabase(),
    startCodaSandbox({ tokens: [TOKEN], applyDelayMs: 20, rateLimits: { windowMs: WINDOW_MS } }),
    startGoogleOidcSandbox(),
  ]);
  mapping = mappingFromCreatedDoc(coda.control.createDoc(defaultCodaDocSpec({ docId: 'feel-august-test' })));
  client = createCodaClient({
    baseUrl: coda.url,
    token: TOKEN,
    sql: t.sql,
    logger: logs.logger,
    rateLimiter: createCodaRateLimiter({ windowMs: WINDOW_MS }),
    retryMinDelayMs: 50,
    retryMaxDelayMs: 2_000,
  });
  await validateMappingAgainstCoda(client, mapping);
  await upsertRows(
    t.sql,
    mirrors.patients,
    Array.from({ length: 1_200 }, (_, i) => patient(i)),
    { actor: 'test:coda-push' },
  );
});
afterAll(async () => {
  await Promise.all([t?.drop(), coda?.close(), issuer?.close()]);
});

describe('POST /pubsub/push', () => {
  it('pushes 1,200 patients in three messages; every Coda row equals Postgres field by field', async () => {
    const app = buildApp();
    const ids = await idsOf('patients');
    expect(ids).toHaveLength(1_200);
    coda.control.resetStats();
    for (const chunk of [ids.slice(0, 500), ids.slice(500, 1_000), ids.slice(1_000)]) {
      const res = await post(app, envelope({ table: 'patients', ids: chunk }));
      expect(res.status).toBe(204);
    }
    expect(coda.control.stats().rowsPerUpsert).toEqual([500, 500, 200]);
    await expectCodaEqualsPostgres('patients');
  });

  it('acks a redelivered message id without writing to Coda again', async () => {
    const app = buildApp();
    const event = envelope({ table: 'patients', ids: (await idsOf('patients')).slice(0, 3) }, 'dup-message-1');
    expect((await post(app, event)).status).toBe(204);
    const writes = coda.control.stats().writeCalls;
    expect((await post(app, { ...event, deliveryAttempt: 2 })).status).toBe(204);
    expect(coda.control.stats().writeCalls).toBe(writes);
    expect(await processed('dup-message-1')).toBe(true);
  });

  it('accepts the snake_case id spelling alone', async () => {
    const app = buildApp();
    const e = envelope({ table: 'patients', ids: (await idsOf('patients')).slice(0, 1) }, 'snake-only');
    const { messageId: _drop, ...message } = e.message;
    expect((await post(app, { ...e, message })).status).toBe(204);
    expect(await processed('snake-only')).toBe(true);
  });

  it('marks a soft-deleted row Deleted in Coda', async () => {
    const app = buildApp();
    await inChangeTransaction(t.sql, { actor: 'test:coda-push' }, (tx) =>
      softDeleteBatch(tx, mirrors.patients, ['900007']),
    );
    const [id] = await idsOf('patients', ['900007']);
    expect((await post(app, envelope({ table: 'patients', ids: [id!] }))).status).toBe(204);
    const entry = mapping.tables.patients!;
    const row = coda.control.rows(entry.tableId).find((r) => r.values[entry.keyColumn] === '900007');
    expect(row?.values[entry.deletedColumn]).toBe(true);
    await expectCodaEqualsPostgres('patients');
  });

  it.each([
    ['429 storm', 429 as const],
    ['5xx storm', 503 as const],
  ])('retries through a %s and then succeeds, never above 10 writes per window', async (_name, status) => {
    const app = buildApp();
    coda.control.resetStats();
    await t.sql`UPDATE patients SET first_name = first_name || 'x' WHERE drchrono_id IN ('900010', '900011')`;
    coda.control.injectFaults({ status, count: 6, scope: 'writes' });
    const ids = await idsOf('patients', ['900010', '900011']);
    const res = await post(app, envelope({ table: 'patients', ids }));
    expect(res.status).toBe(204);
    const stats = coda.control.stats();
    expect(stats.writeLog.filter((w) => w.status === status)).toHaveLength(6);
    expect(stats.acceptedWrites).toBe(1);
    expect(coda.control.peakWritesPerWindow(WINDOW_MS)).toBeLessThanOrEqual(10);
    await expectCodaEqualsPostgres('patients');
  });

  it('keeps concurrent pushes under the write limit with no 429 from Coda', async () => {
    const app = buildApp();
    coda.control.resetStats();
    const ids = await idsOf('patients');
    const results = await Promise.all(
      ids.slice(0, 25).map((id) => post(app, envelope({ table: 'patients', ids: [id] }))),
    );
    expect(results.map((r) => r.status)).toEqual(Array(25).fill(204));
    expect(coda.control.stats().writeLog.every((w) => w.status === 202)).toBe(true);
    expect(coda.control.peakWritesPerWindow(WINDOW_MS)).toBeLessThanOrEqual(9);
  });

  it('answers 503 and records nothing when Coda does not apply the mutation in time; the redelivery succeeds', async () => {
    const app = buildApp({ mutationTimeoutMs: 300 });
    const ids = await idsOf('patients', ['900020']);
    const e = envelope({ table: 'patients', ids }, 'stalled-1');
    coda.control.stallNextMutations(1);
    const res = await post(app, e);
    expect(res.status).toBe(503);
    expect(await processed('stalled-1')).toBe(false);
    expect(logs.text()).toContain('CodaMutationTimeoutError');
    expect((await post(app, { ...e, deliveryAttempt: 2 })).status).toBe(204);
    expect(await processed('stalled-1')).toBe(true);
  });

  it('refuses rows that no longer exist with 422 (poison, for the DLQ) and records nothing', async () => {
    const app = buildApp();
    const res = await post(app, envelope({ table: 'patients', ids: [987_654_321] }, 'poison-1'));
    expect(res.status).toBe(422);
    expect(await processed('poison-1')).toBe(false);
  });

  it.each([
    ['not JSON', '{"message":', 'malformed JSON'],
    ['no message', { subscription: SUB }, 'invalid envelope'],
    ['no message id', { message: { data: 'e30=' }, subscription: SUB }, 'invalid envelope'],
    ['bad base64', { message: { data: '%%%not-base64', messageId: 'm1' }, subscription: SUB }, 'invalid envelope'],
    [
      'data that is not JSON',
      { message: { data: Buffer.from('hello').toString('base64'), messageId: 'm2' }, subscription: SUB },
      'invalid message data',
    ],
    [
      'data that is not a change event',
      {
        message: { data: Buffer.from('{"table":"patients","ids":[]}').toString('base64'), messageId: 'm3' },
        subscription: SUB,
      },
      'invalid change event',
    ],
    ['an unknown table', envelope({ table: 'invoices', ids: [1] }), 'unknown table'],
  ])('answers 400 for %s', async (_name, body, error) => {
    const res = await post(buildApp(), body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error });
  });

  it('answers 415 for a content type other than JSON, like the other inbound routes', async () => {
    const res = await post(buildApp(), envelope({ table: 'patients', ids: [1] }), { 'content-type': 'text/plain' });
    expect(res.status).toBe(415);
    expect(await res.json()).toEqual({ error: 'unsupported media type', expected: 'application/json' });
  });

  it('answers 413 over 1 MiB', async () => {
    const res = await post(buildApp(), {
      message: { data: 'A'.repeat(1_100_000), messageId: 'big' },
      subscription: SUB,
    });
    expect(res.status).toBe(413);
  });

  it('with push auth oidc, refuses a missing or wrong token and accepts the push service account', async () => {
    const oidc = createGoogleIdTokenVerifier({ jwksUrl: issuer.jwksUrl, audience: PUSH_URL, allowedEmails: [PUSHER] });
    const app = buildApp({ pushAuth: requirePushAuth({ mode: 'oidc', oidc, logger: logs.logger }) });
    const e = envelope({ table: 'patients', ids: (await idsOf('patients')).slice(0, 1) });
    expect((await post(app, e)).status).toBe(401);
    const wrong = await issuer.control.mintIdToken({ audience: PUSH_URL, email: SCHEDULER });
    expect((await post(app, e, { authorization: `Bearer ${wrong}` })).status).toBe(403);
    const token = await issuer.control.mintIdToken({ audience: PUSH_URL, email: PUSHER });
    expect((await post(app, e, { authorization: `Bearer ${token}` })).status).toBe(204);
  });
});

describe('Coda write limit at its real window', () => {
  it('spreads 11 concurrent pushes so no 6 s window sees more than 10 writes', async () => {
    const sandbox = await startCodaSandbox({ tokens: [TOKEN], applyDelayMs: 0 });
    try {
      const doc = sandbox.control.createDoc(defaultCodaDocSpec({ docId: 'real-window' }));
      const realMapping = mappingFromCreatedDoc(doc);
      const realClient = createCodaClient({
        baseUrl: sandbox.url,
        token: TOKEN,
        sql: t.sql,
        rateLimiter: createCodaRateLimiter(),
      });
      const app = createCodaPushApp({
        sql: t.sql,
        logger: logs.logger,
        coda: realClient,
        mapping: realMapping,
        pollIntervalMs: 20,
        pushAuth: requirePushAuth({ mode: 'none', logger: logs.logger }),
        operatorGuard: async () => {
          throw new Error('unused');
        },
      });
      const ids = (await idsOf('patients')).slice(0, 11);
      const results = await Promise.all(
        ids.map((id) => post(app as never, envelope({ table: 'patients', ids: [id] }))),
      );
      expect(results.map((r) => r.status)).toEqual(Array(11).fill(204));
      expect(sandbox.control.stats().writeLog.every((w) => w.status === 202)).toBe(true);
      expect(sandbox.control.peakWritesPerWindow()).toBeLessThanOrEqual(10);
    } finally {
      await sandbox.close();
    }
  }, 30_000);
});

describe('POST /maintenance/cleanup', () => {
  it('needs the scheduler token and removes processed ids older than 7 days', async () => {
    const app = buildApp();
    await t.sql`INSERT INTO processed_messages (message_id, subscription, processed_at) VALUES ('old-1', ${SUB}, now() - interval '8 days'), ('new-1', ${SUB}, now())`;
    expect((await app.request('/maintenance/cleanup', { method: 'POST' })).status).toBe(401);
    const token = await issuer.control.mintIdToken({ audience: SERVICE_URL, email: SCHEDULER });
    const res = await app.request('/maintenance/cleanup', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ removed: 1 });
    expect(await processed('new-1')).toBe(true);
  });
});

describe('start-up validation', () => {
  it('names the missing column by mapping key and id', async () => {
    const spec = defaultCodaDocSpec({ docId: 'missing-column' });
    const created = coda.control.createDoc({
      ...spec,
      tables: spec.tables.map((tb) =>
        tb.name === 'Patients' ? { ...tb, columns: tb.columns.filter((c) => c.name !== 'Email') } : tb,
      ),
    });
    const complete = mappingFromCreatedDoc(coda.control.createDoc(defaultCodaDocSpec({ docId: 'complete' })));
    // The map of a complete doc, pointed at a Patients table that lacks Email.
    const broken: CodaMapping = {
      docId: 'missing-column',
      tables: { patients: { ...complete.tables.patients!, tableId: created.tables['Patients']!.id } },
    };
    const error = await validateMappingAgainstCoda(client, broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodaMappingError);
    const emailId = complete.tables.patients!.columns.email!;
    expect((error as Error).message).toContain(`tables.patients.columns.email → ${emailId}: no such column`);
  });
});

describe('audit and privacy', () => {
  it('writes access_log rows with path templates only', async () => {
    const rows = await t.sql<
      { method: string; path_template: string; status: number | null; record_count: number | null }[]
    >`
      SELECT method, path_template, status, record_count FROM access_log WHERE service = 'coda'`;
    expect(rows.length).toBeGreaterThan(10);
    expect(new Set(rows.map((r) => r.path_template))).toEqual(
      new Set([
        '/docs/{docId}/tables/{tableId}/rows',
        '/docs/{docId}/tables/{tableId}/columns',
        '/mutationStatus/{requestId}',
      ]),
    );
    expect(rows.some((r) => r.status === 429)).toBe(true);
    expect(rows.some((r) => r.record_count === 500)).toBe(true);
  });

  it('logs no synthetic PHI', () => {
    const text = logs.text();
    expect(text).toContain('change event pushed');
    for (const phi of [SENTINEL, 'Oxbloodworth', '@example.invalid', '555-01', '900007'])
      expect(text).not.toContain(phi);
  });
});
