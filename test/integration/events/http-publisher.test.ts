import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseApp } from '../../../handlers/app.js';
import { outboxRoutes } from '../../../handlers/drchrono-sync/outbox-routes.js';
import { PublishError, PushRejectedError } from '../../../sync/events/errors.js';
import { createHttpPublisher } from '../../../sync/events/http-publisher.js';
import { createOutboxRelay } from '../../../sync/events/relay.js';
import { encodeChangeEvent, pushEnvelopeSchema } from '../../../sync/events/types.js';
import { mirrors, type MirrorRows } from '../../../sync/mirrors.js';
import { upsertRows } from '../../../sync/upsert.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

let serial = 0;
const patients = (n: number): MirrorRows['patients'][] =>
  Array.from({ length: n }, () => {
    const id = String(700_000 + ++serial);
    return { drchrono_id: id, first_name: 'Quill', raw: { id: Number(id) }, source_updated_at: '2026-01-01T00:00:00Z' };
  });

/** A fake push endpoint in-process: records bodies and answers the status it is told to. */
function endpoint(status: () => number) {
  const bodies: unknown[] = [];
  const headers: Headers[] = [];
  const app = new Hono();
  app.post('/pubsub/push', async (c) => {
    bodies.push(await c.req.json());
    headers.push(c.req.raw.headers);
    return c.body(null, status() as 204);
  });
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) =>
    app.request(input instanceof Request ? input : new Request(input, init))) as typeof fetch;
  return { bodies, headers, fetch: fetchImpl };
}

describe('createHttpPublisher', () => {
  it('POSTs the wrapped push envelope that pushEnvelopeSchema accepts, with both id spellings, and returns its message id', async () => {
    const target = endpoint(() => 204);
    const publisher = createHttpPublisher({
      endpoint: 'http://coda-push.local/pubsub/push',
      fetch: target.fetch,
      headers: { authorization: 'Bearer test' },
    });
    const id = await publisher.publish(encodeChangeEvent({ table: 'patients', ids: [1, 2] }));
    const envelope = pushEnvelopeSchema.parse(target.bodies[0]);
    expect(envelope.message.messageId).toBe(id);
    expect(envelope.message.message_id).toBe(id);
    expect(envelope.message.publishTime).toBe(envelope.message.publish_time);
    expect(envelope.subscription).toBe('projects/local/subscriptions/change-events-coda-push');
    expect(envelope.message.attributes).toEqual({ table: 'patients', count: '2' });
    expect(JSON.parse(Buffer.from(envelope.message.data, 'base64').toString())).toEqual({
      table: 'patients',
      ids: [1, 2],
    });
    expect(target.headers[0]!.get('authorization')).toBe('Bearer test');
    expect(target.headers[0]!.get('content-type')).toBe('application/json');
  });

  it.each([102, 200, 201, 202, 204])('treats %i as accepted', async (status) => {
    // WHATWG Response cannot carry 102, so this fetch answers with a minimal response-like object.
    const fetchStatus = (async () => ({
      status,
      arrayBuffer: async () => new ArrayBuffer(0),
    })) as unknown as typeof fetch;
    const publisher = createHttpPublisher({ endpoint: 'http://coda-push.local/pubsub/push', fetch: fetchStatus });
    await expect(publisher.publish(encodeChangeEvent({ table: 'patients', ids: [1] }))).resolves.toEqual(
      expect.any(String),
    );
  });

  it.each([400, 401, 403, 404, 409, 422, 429, 500, 503, 203, 206])(
    'treats %i as a failed publish (a nack)',
    async (status) => {
      const publisher = createHttpPublisher({
        endpoint: 'http://coda-push.local/pubsub/push',
        fetch: endpoint(() => status).fetch,
      });
      const error = await publisher
        .publish(encodeChangeEvent({ table: 'patients', ids: [1] }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PushRejectedError);
      expect((error as PushRejectedError).status).toBe(status);
    },
  );

  it('turns an unreachable endpoint into a PublishError', async () => {
    const publisher = createHttpPublisher({ endpoint: 'http://127.0.0.1:9/pubsub/push', timeoutMs: 2000 });
    await expect(publisher.publish(encodeChangeEvent({ table: 'patients', ids: [1] }))).rejects.toBeInstanceOf(
      PublishError,
    );
  });
});

describe('relay with the http publisher, and POST /outbox/drain', () => {
  it('keeps rows pending while the endpoint answers non-2xx, then publishes them; the drain endpoint reports both', async () => {
    let status = 503;
    const target = endpoint(() => status);
    const relay = createOutboxRelay({
      sql: t.sql,
      publisher: createHttpPublisher({ endpoint: 'http://coda-push.local/pubsub/push', fetch: target.fetch }),
      logger: captureLogs().logger,
    });
    let guarded = 0;
    const app = createBaseApp({ sql: t.sql, logger: captureLogs().logger, service: 'drchrono-sync' });
    app.route(
      '/',
      outboxRoutes({
        relay,
        logger: captureLogs().logger,
        guard: async (c, next) => {
          guarded++;
          if (c.req.header('authorization') !== 'Bearer scheduler') return c.json({ error: 'unauthorized' }, 401);
          await next();
        },
      }),
    );

    expect((await app.request('/outbox/drain', { method: 'POST' })).status).toBe(401);
    const changed = await upsertRows(t.sql, mirrors.patients, patients(3), { actor: 'test:http' });

    const refused = await app.request('/outbox/drain', {
      method: 'POST',
      headers: { authorization: 'Bearer scheduler' },
    });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({
      error: 'publish failed; rows stay pending',
      published: 0,
      messages: 0,
      failed: 3,
    });
    const [row] =
      await t.sql`SELECT count(*)::int AS n, min(attempts) AS attempts, min(last_error_class) AS cls FROM outbox WHERE published_at IS NULL`;
    expect(row).toEqual({ n: 3, attempts: 1, cls: 'PushRejectedError:503' });

    status = 204;
    const ok = await app.request('/outbox/drain', { method: 'POST', headers: { authorization: 'Bearer scheduler' } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ published: 3, messages: 1 });
    expect(guarded).toBe(3);
    const last = pushEnvelopeSchema.parse(target.bodies.at(-1));
    expect(JSON.parse(Buffer.from(last.message.data, 'base64').toString())).toEqual({
      table: 'patients',
      ids: changed.map((c) => c.id).sort((a, b) => a - b),
    });

    const idle = await app.request('/outbox/drain', { method: 'POST', headers: { authorization: 'Bearer scheduler' } });
    expect(await idle.json()).toEqual({ published: 0, messages: 0 });
  });
});
