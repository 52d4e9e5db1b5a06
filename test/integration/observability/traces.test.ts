import { randomUUID } from 'node:crypto';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createBaseApp } from '../../../handlers/app.js';
import { createCodaPushApp } from '../../../handlers/coda-push/app.js';
import { drchronoWebhookRoutes } from '../../../handlers/drchrono-sync/drchrono-webhook.js';
import { requirePushAuth } from '../../../handlers/middleware/google-auth.js';
import { startCodaSandbox, type RunningCodaSandbox } from '../../../sandbox/coda/index.js';
import { createDrChronoSandbox, createDrChronoWebhookSender } from '../../../sandbox/drchrono/index.js';
import { syntheticPhiValues } from '../../../sandbox/synthetic/index.js';
import { createCodaClient } from '../../../sync/coda/client.js';
import { defaultCodaDocSpec, mappingFromCreatedDoc, type CodaMapping } from '../../../sync/coda/mapping.js';
import { createCodaRateLimiter } from '../../../sync/coda/rate-limiter.js';
import { createHttpPublisher } from '../../../sync/events/http-publisher.js';
import { createOutboxRelay, type OutboxRelay } from '../../../sync/events/relay.js';
import { buildPushEnvelope, encodeChangeEvent } from '../../../sync/events/types.js';
import { startTracing, type Tracing } from '../../../sync/observability/tracing.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';

// Issue 16 §2 acceptance: one trace from DrChrono's webhook to the Coda call, and no PHI in any exported span.
// The chain runs in-process: a signed webhook → drchrono-sync's app (webhook routes on the base app) → Postgres
// (mirror, outbox with trace_context) → the outbox relay → the HTTP bus → coda-push's app → the Coda sandbox, with
// tracing started as a service starts it, exporting into an InMemorySpanExporter (through the scrubbing wrapper).

const SECRET = 'trace-test-webhook-secret';
const TOKEN = 'trace-test-coda-token';
const TZ = 'America/New_York';
const PUSH_URL = 'http://coda-push.local/pubsub/push';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let t: TestDatabase;
let coda: RunningCodaSandbox;
let mapping: CodaMapping;
let relay: OutboxRelay;
const drchronoLogs = captureLogs('drchrono-sync');
const codaLogs = captureLogs('coda-push');
const sandbox = createDrChronoSandbox({ patientCount: 10, seed: 16 });
let drchronoSync: ReturnType<typeof createBaseApp>;
let codaPush: ReturnType<typeof createCodaPushApp>;
const pushStatuses: number[] = [];

const toApp =
  (app: () => { request: (path: string, init?: RequestInit) => Response | Promise<Response> }): typeof fetch =>
  async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    return app().request(url.pathname + url.search, {
      method: request.method,
      headers: request.headers,
      ...(request.method !== 'GET' && { body: await request.text() }),
    });
  };

const sender = createDrChronoWebhookSender({
  callbackUrl: 'http://drchrono-sync.local/webhooks/drchrono',
  secret: SECRET,
  fetch: toApp(() => drchronoSync),
});

beforeAll(async () => {
  tracing = startTracing({ serviceName: 'trace-chain-test', env: {}, exporter });
  [t, coda] = await Promise.all([
    createTestDatabase(),
    startCodaSandbox({ tokens: [TOKEN], applyDelayMs: 5, rateLimits: { windowMs: 200 } }),
  ]);
  mapping = mappingFromCreatedDoc(coda.control.createDoc(defaultCodaDocSpec({ docId: 'feel-august-traces' })));
  drchronoSync = createBaseApp({ sql: t.sql, logger: drchronoLogs.logger, service: 'drchrono-sync' });
  drchronoSync.route(
    '/',
    drchronoWebhookRoutes({ sql: t.sql, logger: drchronoLogs.logger, timeZone: TZ, secret: SECRET }),
  );
  codaPush = createCodaPushApp({
    sql: t.sql,
    logger: codaLogs.logger,
    coda: createCodaClient({
      baseUrl: coda.url,
      token: TOKEN,
      sql: t.sql,
      logger: codaLogs.logger,
      rateLimiter: createCodaRateLimiter({ windowMs: 200 }),
      retryMinDelayMs: 20,
    }),
    mapping,
    pushAuth: requirePushAuth({ mode: 'none', logger: codaLogs.logger }),
    operatorGuard: async () => {
      throw new Error('no operator calls in this test');
    },
    mutationTimeoutMs: 5_000,
    pollIntervalMs: 10,
  });
  const pushFetch = toApp(() => codaPush);
  relay = createOutboxRelay({
    sql: t.sql,
    logger: drchronoLogs.logger,
    publisher: createHttpPublisher({
      endpoint: PUSH_URL,
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        const res = await pushFetch(input, init);
        pushStatuses.push(res.status);
        return res;
      }) as typeof fetch,
    }),
  });
});
afterAll(async () => {
  await tracing?.shutdown();
  await Promise.all([t?.drop(), coda?.close()]);
});
beforeEach(() => {
  exporter.reset();
  pushStatuses.length = 0;
});

const firstPatientId = async () => (await t.sql<{ id: string }[]>`SELECT id FROM patients ORDER BY id LIMIT 1`)[0]!.id;
const patient = (i: number) => sandbox.control.get('patients', 1_000_000 + i)!;
const byName = (spans: readonly ReadableSpan[], pattern: RegExp) => spans.filter((s) => pattern.test(s.name));

/** Sends a webhook for patient `i`, drains the outbox into coda-push, and returns every exported span. */
async function runChain(i: number): Promise<ReadableSpan[]> {
  const res = await sender.send('PATIENT_CREATE', patient(i));
  expect(res.status).toBe(200);
  const drained = await relay.drain();
  expect(drained.failed).toBe(0);
  expect(drained.messages).toBeGreaterThan(0);
  expect(pushStatuses.length).toBeGreaterThan(0);
  expect(pushStatuses.every((s) => s === 204)).toBe(true);
  await tracing.flush();
  return exporter.getFinishedSpans();
}

describe('one trace from the DrChrono webhook to the Coda call', () => {
  it('covers the webhook server span, Postgres spans, the relay publish, coda-push server and the Coda client span', async () => {
    const spans = await runChain(0);
    const [webhook] = spans.filter((s) => s.kind === SpanKind.SERVER && s.name === 'POST /webhooks/drchrono');
    expect(webhook, spans.map((s) => s.name).join(', ')).toBeDefined();
    const traceId = webhook!.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const names = inTrace.map((s) => s.name);

    expect(names).toContain('webhook delivery insert');
    expect(names).toContain('upsert patients');
    const patientsPublish = inTrace.filter(
      (s) => s.name === 'send change-events' && s.attributes['app.table'] === 'patients',
    );
    expect(patientsPublish).toHaveLength(1);
    expect(patientsPublish[0]!.kind).toBe(SpanKind.PRODUCER);
    expect(patientsPublish[0]!.attributes['messaging.system']).toBe('http');
    expect(patientsPublish[0]!.attributes['messaging.message.id']).toEqual(expect.any(String));
    const pushServer = inTrace.filter((s) => s.kind === SpanKind.SERVER && s.name === 'POST /pubsub/push');
    expect(pushServer.length).toBeGreaterThan(0);
    expect(pushServer[0]!.attributes['http.response.status_code']).toBe(204);
    const processSpans = inTrace.filter((s) => s.kind === SpanKind.CONSUMER);
    expect(processSpans.length).toBeGreaterThan(0);
    expect(names).toContain('load rows patients');
    expect(names).toContain('processed message insert');
    const codaCalls = inTrace.filter((s) => s.kind === SpanKind.CLIENT && s.attributes['peer.service'] === 'coda');
    const upsert = codaCalls.find((s) => s.name === 'POST /docs/{docId}/tables/{tableId}/rows');
    expect(upsert, codaCalls.map((s) => s.name).join(', ')).toBeDefined();
    expect(upsert!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.template': '/docs/{docId}/tables/{tableId}/rows',
      'http.response.status_code': 202,
      'app.budget_class': 'write',
    });
    expect(codaCalls.some((s) => s.name === 'GET /mutationStatus/{requestId}')).toBe(true);

    // The relay pass is its own trace (it serves many webhooks), linked from the publish span.
    const [pass] = byName(spans, /^outbox relay pass$/);
    expect(pass).toBeDefined();
    expect(pass!.spanContext().traceId).not.toBe(traceId);
    expect(byName(spans, /^outbox claim$/)[0]!.parentSpanContext?.spanId).toBe(pass!.spanContext().spanId);
    expect(patientsPublish[0]!.links.map((l) => l.context.spanId)).toContain(pass!.spanContext().spanId);

    // Postgres spans carry the statement kind and table, never SQL text or parameters.
    const upsertSpan = inTrace.find((s) => s.name === 'upsert patients')!;
    expect(upsertSpan.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.operation.name': 'INSERT',
      'db.collection.name': 'patients',
    });
    expect(Object.keys(upsertSpan.attributes).some((k) => k.startsWith('db.query'))).toBe(false);
  });

  it('stores the webhook span as the outbox row trace_context (ids only)', async () => {
    await runChain(1);
    const [row] = await t.sql<{ trace_context: string | null }[]>`
      SELECT trace_context FROM outbox WHERE table_name = 'patients' AND drchrono_id = '1000001'`;
    expect(row!.trace_context).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const webhook = exporter
      .getFinishedSpans()
      .find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /webhooks/drchrono')!;
    expect(row!.trace_context!.split('-')[1]).toBe(webhook.spanContext().traceId);
  });

  it('continues the trace from the message attributes alone, as with Pub/Sub push (no traceparent header)', async () => {
    const id = await firstPatientId();
    const traceId = 'a'.repeat(32);
    const message = encodeChangeEvent({ table: 'patients', ids: [Number(id)] });
    const envelope = buildPushEnvelope(
      { ...message, attributes: { ...message.attributes, traceparent: `00-${traceId}-${'b'.repeat(16)}-01` } },
      randomUUID(),
      'projects/local/subscriptions/change-events-coda-push',
    );
    const res = await codaPush.request('/pubsub/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01` },
      body: JSON.stringify(envelope),
    });
    expect(res.status).toBe(204);
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(server.spanContext().traceId).toBe('c'.repeat(32));
    const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(consumer.spanContext().traceId).toBe(traceId);
    expect(consumer.parentSpanContext?.spanId).toBe('b'.repeat(16));
    expect(consumer.links.map((l) => l.context.spanId)).toContain(server.spanContext().spanId);
    const codaCall = spans.find((s) => s.attributes['peer.service'] === 'coda')!;
    expect(codaCall.spanContext().traceId).toBe(traceId);
  });

  it('ignores a malformed traceparent attribute (input is checked before it is believed)', async () => {
    const id = await firstPatientId();
    const message = encodeChangeEvent({ table: 'patients', ids: [Number(id)] });
    const envelope = buildPushEnvelope(
      { ...message, attributes: { ...message.attributes, traceparent: '00-not-a-trace-01' } },
      randomUUID(),
      'projects/local/subscriptions/change-events-coda-push',
    );
    const res = await codaPush.request('/pubsub/push', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(envelope),
    });
    expect(res.status).toBe(204);
    await tracing.flush();
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    const consumer = spans.find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(consumer.spanContext().traceId).toBe(server.spanContext().traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
  });
});

/** Every string an exported span carries: name, attributes, events, links, status, resource, scope. */
function spanTexts(span: ReadableSpan): string[] {
  const values = (attributes: Record<string, unknown> | undefined) =>
    Object.entries(attributes ?? {}).flatMap(([k, v]) => [k, JSON.stringify(v)]);
  return [
    span.name,
    ...values(span.attributes),
    ...span.events.flatMap((e) => [e.name, ...values(e.attributes)]),
    ...span.links.flatMap((l) => [l.context.traceId, l.context.spanId, ...values(l.attributes)]),
    span.status.message ?? '',
    ...values(span.resource.attributes),
    span.instrumentationScope.name,
  ];
}

describe('what leaves in spans', () => {
  it('no span name, attribute, event, link or resource attribute carries a synthetic PHI value, a query or a body', async () => {
    const indexes = [2, 3, 4];
    const phi = indexes.flatMap((i) => syntheticPhiValues(sandbox.control.dataset, i)).filter((v) => v.length >= 4);
    expect(phi.length).toBeGreaterThan(15);
    const spans: ReadableSpan[] = [];
    for (const i of indexes) {
      spans.push(...(await runChain(i)));
      exporter.reset();
    }
    // A handshake whose query carries a patient's surname: url.full must leave without it.
    const surname = String(patient(2)['last_name']);
    expect((await drchronoSync.request(`/webhooks/drchrono?msg=${encodeURIComponent(surname)}`)).status).toBe(200);
    await tracing.flush();
    spans.push(...exporter.getFinishedSpans());

    expect(spans.length).toBeGreaterThan(30);
    expect(spans.some((s) => s.attributes['url.full'] !== undefined)).toBe(true);
    const leaks: string[] = [];
    for (const span of spans) {
      const text = spanTexts(span).join('\n');
      for (const value of phi) if (text.includes(value)) leaks.push(`${span.name}: ${value}`);
      const url = span.attributes['url.full'];
      if (typeof url === 'string' && (url.includes('?') || url.includes('#'))) leaks.push(`${span.name}: ${url}`);
      for (const key of Object.keys(span.attributes))
        if (/body|query\.text|query\.parameter|header/i.test(key)) leaks.push(`${span.name}: attribute ${key}`);
    }
    if (process.env.TRACE_TEST_DUMP) console.log(spans.map((s) => `${s.name} ${JSON.stringify(s.attributes)}`));
    expect(leaks).toEqual([]);
    // And the logs of the same run stay clean too (the existing rule).
    const logsText = drchronoLogs.text() + codaLogs.text();
    for (const value of phi) expect(logsText).not.toContain(value);
  });
});
