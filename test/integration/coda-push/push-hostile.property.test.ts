import fc from 'fast-check';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodaPushApp } from '../../../handlers/coda-push/app.js';
import { requirePushAuth } from '../../../handlers/middleware/google-auth.js';
import type { CodaClient } from '../../../sync/coda/client.js';
import type { CodaMapping } from '../../../sync/coda/mapping.js';
import { PUSH_MESSAGE_ID, PUSH_SUBSCRIPTION } from '../../../sync/events/types.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import {
  HOSTILE_RUNS,
  HOSTILE_SEED,
  hostileFields,
  hostileJson,
  hostileNumber,
  hostileString,
  hostileTime,
  hostileValue,
  MARKER,
} from '../../harness/hostile.js';
import { captureLogs } from '../../harness/logs.js';

// Property: a Pub/Sub push envelope with hostile values in any field (message id, publish time, subscription,
// attributes, ordering key, delivery attempt, data and the change event inside it) is answered 204 (pushed, the
// message id recorded), 400 naming fields or 422 (rows missing) with nothing recorded — never 5xx — and no input
// value reaches a log line, except a message id and subscription that passed validation (bounded ids, logged by
// design). Coda is a stub that always applies, so every 204 is a full push. Seed printed on failure (FC_SEED).

let t: TestDatabase;
const logs = captureLogs('coda-push');
let app: ReturnType<typeof createCodaPushApp>;
let rowIds: number[] = [];

const coda = {
  upsertRows: async () => 'mutate-1',
  mutationStatus: async () => ({ completed: true }),
  retryDelayMs: () => undefined,
} as unknown as CodaClient;
const mapping: CodaMapping = {
  docId: 'doc-test',
  tables: {
    patients: {
      tableId: 'grid-p',
      keyColumn: 'c-id',
      deletedColumn: 'c-del',
      columns: { drchrono_id: 'c-id', first_name: 'c-fn' },
    },
  },
};

beforeAll(async () => {
  t = await createTestDatabase();
  app = createCodaPushApp({
    sql: t.sql,
    logger: logs.logger,
    coda,
    mapping,
    pushAuth: requirePushAuth({ mode: 'none', logger: logs.logger }),
    operatorGuard: createMiddleware(async function denyAll() {
      throw new HTTPException(403, { message: 'forbidden' });
    }),
    mutationTimeoutMs: 1_000,
    pollIntervalMs: 1,
  });
  const rows = await t.sql<
    { id: string }[]
  >`INSERT INTO patients (drchrono_id, raw, first_name) VALUES ('1', '{}', 'A'), ('2', '{}', 'B'), ('3', '{}', 'C') RETURNING id`;
  rowIds = rows.map((r) => Number(r.id));
});
afterAll(() => t.drop());

let n = 0;
const event = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) }, // a valid event (filled in per run)
  {
    weight: 1,
    arbitrary: fc.record({
      table: fc.oneof(fc.constant('patients'), hostileString),
      ids: fc.oneof(fc.array(hostileNumber, { maxLength: 3 }), hostileValue),
    }),
  },
  { weight: 1, arbitrary: hostileValue },
);
const base = {
  data: '',
  attributes: { table: 'patients', count: '1' },
  messageId: '',
  message_id: '',
  publishTime: '2026-01-02T03:04:05.123Z',
  publish_time: '2026-01-02T03:04:05.123Z',
  orderingKey: 'k',
};
const hostileField = fc.oneof(hostileString, hostileTime, hostileValue);
const envelope = fc
  .tuple(
    fc.oneof(
      // Any hostile value in any message field (mostly 400)…
      { weight: 1, arbitrary: hostileFields(base, Object.keys(base), hostileField) },
      // …or hostile strings only where the envelope has free text (attributes, orderingKey): these must be pushed.
      {
        weight: 2,
        arbitrary: fc
          .record({
            attributes: fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
            orderingKey: hostileString,
          })
          .map((m) => ({ ...base, ...m })),
      },
    ),
    event,
    fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: hostileField }),
    fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: hostileValue }),
    fc.boolean(),
  )
  .map(([message, changeEvent, subscription, deliveryAttempt, rawData]) => ({
    message,
    changeEvent,
    subscription,
    deliveryAttempt,
    rawData,
  }));

const processed = async () => Number((await t.sql`SELECT count(*) AS n FROM processed_messages`)[0]!.n);
const escapeJson = (s: string) => JSON.stringify(s).slice(1, -1);

describe('Pub/Sub push under hostile input (property)', () => {
  it(
    `answers 204, 400 or 422, never 5xx, records only what it pushed, and logs no input value — ${HOSTILE_RUNS} runs`,
    { timeout: 300_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(envelope, async ({ message, changeEvent, subscription, deliveryAttempt, rawData }) => {
          const id = `${++n}`;
          const eventJson = hostileJson(changeEvent ?? { table: 'patients', ids: rowIds.slice(0, 1 + (n % 3)) });
          const msg = {
            ...message,
            messageId: message['messageId'] === '' ? id : message['messageId'],
            message_id: message['message_id'] === '' ? id : message['message_id'],
            // Usually the event as base64; sometimes the hostile value itself stands in for data.
            data:
              message['data'] !== ''
                ? message['data']
                : rawData
                  ? Buffer.from(eventJson).toString('base64')
                  : Buffer.from(eventJson, 'latin1').toString('base64'),
          };
          const body = {
            message: msg,
            subscription: subscription ?? 'projects/local/subscriptions/change-events-push',
            ...(deliveryAttempt !== null && { deliveryAttempt }),
          };
          const before = await processed();
          const logStart = logs.lines().length;
          const res = await app.request('/pubsub/push', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: hostileJson(body),
          });
          const answer = await res.text();
          expect([204, 400, 413, 422], `status ${res.status}: ${answer}`).toContain(res.status);
          if (res.status !== 204) expect(await processed()).toBe(before);
          // A message id or subscription that passed validation is logged by design (bounded, printable); nothing
          // else from the input may be.
          let logged = logs.lines().slice(logStart).join('\n');
          const valid = [msg['messageId'], msg['message_id']].filter(
            (v): v is string => typeof v === 'string' && PUSH_MESSAGE_ID.test(v),
          );
          if (typeof body.subscription === 'string' && PUSH_SUBSCRIPTION.test(body.subscription))
            valid.push(body.subscription);
          for (const value of valid) logged = logged.replaceAll(escapeJson(value), '');
          expect(logged).not.toMatch(MARKER);
          expect(answer).not.toMatch(MARKER);
        }),
        { numRuns: HOSTILE_RUNS, seed: HOSTILE_SEED, endOnFailure: true },
      );
    },
  );
});
