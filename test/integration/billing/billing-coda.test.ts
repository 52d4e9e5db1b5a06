import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCodaSandbox, type RunningCodaSandbox } from '../../../sandbox/coda/index.js';
import { createCodaClient } from '../../../sync/coda/client.js';
import { defaultCodaDocSpec, mappingFromCreatedDoc, type CodaMapping } from '../../../sync/coda/mapping.js';
import { pushChangeEvent } from '../../../sync/coda/push.js';
import { createCodaRateLimiter } from '../../../sync/coda/rate-limiter.js';
import { MAX_IDS_PER_MESSAGE } from '../../../sync/events/types.js';
import { receiveDrChronoWebhook } from '../../../sync/drchrono/webhook.js';
import { syncAll, type SyncDeps } from '../../../sync/drchrono/sync.js';
import { compareCodaWithPostgres } from '../../harness/coda-compare.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';
import { startHarness, type Harness } from '../drchrono/helpers.js';

// The billing tables in Coda equal Postgres field by field, after a full sync and after a webhook: the mirrors
// (line items, postings, payments) and the derived claim statuses and per-appointment summaries staff filter on.

const TZ = 'America/New_York';
const TOKEN = 'billing-coda-token';
const BILLING_TABLES = [
  'line_items',
  'insurance_transactions',
  'patient_payments',
  'claim_statuses',
  'billing_reconciliations',
] as const;

let t: TestDatabase;
let h: Harness;
let coda: RunningCodaSandbox;
let mapping: CodaMapping;
const logs = captureLogs('coda-push');

beforeAll(async () => {
  [t, h, coda] = await Promise.all([
    createTestDatabase(),
    startHarness({ patientCount: 30, seed: 41 }),
    startCodaSandbox({ tokens: [TOKEN], applyDelayMs: 5, rateLimits: { windowMs: 200 } }),
  ]);
  await h.seedTokens();
  mapping = mappingFromCreatedDoc(coda.control.createDoc(defaultCodaDocSpec({ docId: 'billing-coda' })));
});
afterAll(async () => {
  await Promise.all([h.close(), coda.close()]);
  await t.drop();
});

const deps = (): SyncDeps => ({
  sql: t.sql,
  client: h.instance(t.sql).client,
  logger: h.logger,
  timeZone: TZ,
  clock: h.time.clock,
});

/** Pushes every pending outbox row of the billing tables through coda-push's own code, as the relay would. */
async function drainBillingToCoda(): Promise<number> {
  const client = createCodaClient({
    baseUrl: coda.url,
    token: TOKEN,
    sql: t.sql,
    logger: logs.logger,
    rateLimiter: createCodaRateLimiter({ windowMs: 200 }),
  });
  const pending = await t.sql<{ id: string; table_name: string; row_id: string }[]>`
    SELECT id, table_name, row_id FROM outbox WHERE published_at IS NULL AND table_name = ANY(${[...BILLING_TABLES]})
    ORDER BY id`;
  let pushed = 0;
  for (const table of BILLING_TABLES) {
    const ids = [...new Set(pending.filter((r) => r.table_name === table).map((r) => Number(r.row_id)))];
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_MESSAGE) {
      const result = await pushChangeEvent(
        { sql: t.sql, client, mapping, logger: logs.logger, pollIntervalMs: 10 },
        { table, ids: ids.slice(i, i + MAX_IDS_PER_MESSAGE) },
        { messageId: randomUUID(), subscription: 'projects/local/subscriptions/test' },
      );
      if (result.status === 'pushed') pushed += result.rows;
    }
  }
  await t.sql`UPDATE outbox SET published_at = now() WHERE id = ANY(${pending.map((r) => r.id)})`;
  return pushed;
}

async function expectCodaEqualsPostgres(): Promise<void> {
  for (const table of BILLING_TABLES) {
    const result = await compareCodaWithPostgres(t.sql, mapping, (id) => coda.control.rows(id), table);
    expect(result, table).toMatchObject({ missing: [], duplicates: [], mismatched: [], extra: [] });
    expect(result.codaRows, table).toBe(result.postgresRows);
    expect(result.postgresRows, table).toBeGreaterThan(0);
  }
}

describe('billing in Coda', () => {
  it('equals Postgres field by field after a full sync', async () => {
    await syncAll(deps(), 'full');
    expect(await drainBillingToCoda()).toBeGreaterThan(0);
    await expectCodaEqualsPostgres();
    // Staff filter the summary by "needs review" and the claim table by status: both are plain Coda columns.
    const summary = mapping.tables['billing_reconciliations']!;
    expect(summary.columns['needs_review']).toBeDefined();
    expect(summary.columns['review_reason']).toBeDefined();
    expect(mapping.tables['claim_statuses']!.columns['status']).toBeDefined();
  });

  it('equals Postgres again after a webhook, and only the rows whose figures changed are pushed', async () => {
    const [line] = await t.sql<{ drchrono_id: string; appointment: string }[]>`
      SELECT drchrono_id, appointment FROM line_items WHERE deleted_at IS NULL AND billed > 0 ORDER BY id LIMIT 1`;
    const record = h.sandbox.control.update('line_items', line!.drchrono_id, {
      billed: 999.99,
      updated_at: '2031-06-01T12:00:00',
    });
    await receiveDrChronoWebhook(
      { sql: t.sql, logger: logs.logger, timeZone: TZ },
      { event: 'LINE_ITEM_MODIFY', deliveryId: randomUUID(), body: { receiver: { id: 1 }, object: record } },
    );
    const pending = await t.sql<{ table_name: string; n: number }[]>`
      SELECT table_name, count(*)::int AS n FROM outbox WHERE published_at IS NULL GROUP BY table_name ORDER BY 1`;
    // One line item; its appointment's summary; its claim(s) (billed changed) — nothing else.
    expect(Object.fromEntries(pending.map((p) => [p.table_name, p.n]))).toMatchObject({
      line_items: 1,
      billing_reconciliations: 1,
    });
    expect(pending.find((p) => p.table_name === 'claim_statuses')?.n ?? 0).toBeLessThanOrEqual(2);
    await drainBillingToCoda();
    await expectCodaEqualsPostgres();
  });
});
