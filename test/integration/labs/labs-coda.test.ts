import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCodaSandbox, type RunningCodaSandbox } from '../../../sandbox/coda/index.js';
import { createCodaClient, type CodaClient } from '../../../sync/coda/client.js';
import { defaultCodaDocSpec, mappingFromCreatedDoc, type CodaMapping } from '../../../sync/coda/mapping.js';
import { pushChangeEvent } from '../../../sync/coda/push.js';
import { createCodaRateLimiter } from '../../../sync/coda/rate-limiter.js';
import { acknowledgeLabReview } from '../../../sync/labs/acknowledge.js';
import { syncAll, syncLabs, type SyncDeps } from '../../../sync/drchrono/sync.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { compareCodaWithPostgres } from '../../harness/coda-compare.js';
import { captureLogs } from '../../harness/logs.js';
import { startHarness, type Harness } from '../drchrono/helpers.js';

// The lab tables in Coda equal Postgres field by field: the lab_orders and lab_results mirrors, the per-order status
// and the review queue, after a full sync and again after results arrive and a review is acknowledged (the outbox
// rows those changes wrote are what reaches Coda).

const TOKEN = 'labs-coda-token';
const TZ = 'America/New_York';
const LAB_TABLES = ['lab_orders', 'lab_tests', 'lab_results', 'lab_order_statuses', 'lab_reviews'] as const;
let t: TestDatabase;
let h: Harness;
let coda: RunningCodaSandbox;
let mapping: CodaMapping;
let client: CodaClient;
const logs = captureLogs('coda-push');
let pushedThrough = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  h = await startHarness({ patientCount: 30, seed: 47 });
  await h.seedTokens();
  coda = await startCodaSandbox({ tokens: [TOKEN], applyDelayMs: 0 });
  mapping = mappingFromCreatedDoc(coda.control.createDoc(defaultCodaDocSpec({ docId: 'labs-test' })));
  client = createCodaClient({
    baseUrl: coda.url,
    token: TOKEN,
    sql: t.sql,
    logger: logs.logger,
    rateLimiter: createCodaRateLimiter({ windowMs: 200 }),
    retryMinDelayMs: 10,
    retryMaxDelayMs: 100,
  });
});
afterAll(async () => {
  await coda.close();
  await h.close();
  await t.drop();
});

const deps = (): SyncDeps => ({
  sql: t.sql,
  client: h.instance(t.sql).client,
  logger: h.logger,
  timeZone: TZ,
  clock: h.time.clock,
});

/** Pushes every lab outbox row written since the last call, as the relay and coda-push would. */
async function pushLabChanges(): Promise<number> {
  const rows = await t.sql<{ id: string; table_name: string; row_id: string }[]>`
    SELECT id, table_name, row_id FROM outbox WHERE id > ${pushedThrough} AND table_name = ANY(${[...LAB_TABLES]})
    ORDER BY id`;
  const byTable = new Map<string, number[]>();
  for (const r of rows) byTable.set(r.table_name, [...(byTable.get(r.table_name) ?? []), Number(r.row_id)]);
  for (const [table, ids] of byTable) {
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 500)
      await pushChangeEvent(
        { sql: t.sql, client, mapping, logger: logs.logger, pollIntervalMs: 5 },
        { table, ids: unique.slice(i, i + 500) },
        { messageId: `labs-${table}-${pushedThrough}-${i}`, subscription: 'projects/local/subscriptions/labs' },
      );
  }
  const [last] = await t.sql<{ id: string }[]>`SELECT coalesce(max(id), 0)::text AS id FROM outbox`;
  pushedThrough = Number(last!.id);
  return rows.length;
}

async function expectCodaEqualsPostgres() {
  for (const table of LAB_TABLES) {
    const result = await compareCodaWithPostgres(t.sql, mapping, (id) => coda.control.rows(id), table);
    expect(result, table).toMatchObject({ missing: [], duplicates: [], mismatched: [], extra: [] });
    expect(result.codaRows, table).toBe(result.postgresRows);
    expect(result.postgresRows, table).toBeGreaterThan(0);
  }
}

describe('labs in Coda', () => {
  it('after a full sync, every lab table in Coda equals Postgres field by field', async () => {
    await syncAll(deps(), 'full');
    expect(await pushLabChanges()).toBeGreaterThan(0);
    await expectCodaEqualsPostgres();
  });

  it('new results and an acknowledgement reach Coda: the order status and the review row change', async () => {
    const [test] = await t.sql`
      SELECT lt.drchrono_id, lt.lab_order FROM lab_tests lt JOIN lab_orders o ON o.drchrono_id = lt.lab_order
      WHERE o.status = 'R' ORDER BY lt.drchrono_id LIMIT 1`;
    const created = h.sandbox.control.create('lab_results', {
      lab_test: Number(test!.drchrono_id),
      value: '1.7',
      value_is_numeric: true,
      unit: 'mEq/L',
      normal_range: '0.6 1.2',
      abnormal_status: 'HH',
      is_abnormal: 'true',
      status: 'F',
    });
    h.sandbox.control.update('lab_orders', String(test!.lab_order), { status: 'R' });
    h.time.advance(15 * 60_000);
    await syncLabs(deps(), 'incremental');
    const [review] = await t.sql`SELECT id FROM lab_reviews WHERE lab_result = ${String(created['id'])}`;
    await acknowledgeLabReview(t.sql, {
      reviewId: Number(review!.id),
      staffEmail: 'np.lee@example.test',
      actor: 'staff:np.lee@example.test',
    });
    expect(await pushLabChanges()).toBeGreaterThan(0);
    await expectCodaEqualsPostgres();
    const statuses = coda.control.rows(mapping.tables['lab_order_statuses']!.tableId);
    expect(statuses.length).toBeGreaterThan(0);
  });
});
