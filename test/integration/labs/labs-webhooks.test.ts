import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseApp } from '../../../handlers/app.js';
import { drchronoWebhookRoutes } from '../../../handlers/drchrono-sync/drchrono-webhook.js';
import { createDrChronoWebhookSender } from '../../../sandbox/drchrono/webhook-sender.js';
import { syntheticPhiValues } from '../../../sandbox/synthetic/index.js';
import { syncLabs, type SyncDeps } from '../../../sync/drchrono/sync.js';
import type { DrChronoClient } from '../../../sync/drchrono/types.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';
import { startHarness, type Harness } from '../drchrono/helpers.js';

// LAB_ORDER_CREATE|MODIFY|DELETE: the order is applied in the delivery's transaction, the re-read of its tests and
// results is queued (no DrChrono call inline) and drained by the next incremental cycle on the webhook share of the
// budget; a replayed delivery opens nothing; an order deleted after its results arrived takes its tests, results and
// open review items with it.

const SECRET = 'labs-webhook-secret';
const TZ = 'America/New_York';
let t: TestDatabase;
let h: Harness;
const logs = captureLogs('drchrono-sync');
let app: ReturnType<typeof createBaseApp>;
const sender = createDrChronoWebhookSender({
  callbackUrl: 'http://drchrono-sync.local/webhooks/drchrono',
  secret: SECRET,
  fetch: async (input, init) => app.request(new URL(String(input)).pathname, init as RequestInit),
});

beforeAll(async () => {
  t = await createTestDatabase();
  h = await startHarness({ patientCount: 40, seed: 43 });
  await h.seedTokens();
  app = createBaseApp({ sql: t.sql, logger: logs.logger, service: 'drchrono-sync' });
  app.route('/', drchronoWebhookRoutes({ sql: t.sql, logger: logs.logger, timeZone: TZ, secret: SECRET }));
});
afterAll(async () => {
  await h.close();
  await t.drop();
});

/** `resource:priority` of every list call the sync made. */
const listCalls: string[] = [];
const deps = (): SyncDeps => ({
  sql: t.sql,
  client: recording(h.instance(t.sql).client),
  logger: h.logger,
  timeZone: TZ,
  clock: h.time.clock,
});
function recording(client: DrChronoClient): DrChronoClient {
  return {
    pages: (resource, query, options) => {
      listCalls.push(`${resource}:${options?.priority ?? 'sync'}`);
      return client.pages(resource, query, options);
    },
    get: (resource, id, options) => client.get(resource, id, options),
  };
}
const count = async (table: string, where = 'true') =>
  Number((await t.sql.unsafe(`SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0]!.n);
const calls = async () => Number((await t.sql`SELECT count(*)::int AS n FROM access_log`)[0]!.n);

/** A new STAT order for patient `index` with one test and a critical lithium level, created in DrChrono. */
function criticalOrder(index: number) {
  const patient = h.sandbox.control.get('patients', 1_000_000 + index)!;
  const order = h.sandbox.control.create('lab_orders', {
    patient: patient['id'],
    doctor: patient['doctor'],
    status: 'R',
    priority: 'S',
  });
  const test = h.sandbox.control.create('lab_tests', { lab_order: order['id'], status: 'F', name: 'Lithium level' });
  const result = h.sandbox.control.create('lab_results', {
    lab_test: test['id'],
    value: '2.4',
    value_is_numeric: true,
    unit: 'mEq/L',
    normal_range: '0.6 1.2',
    abnormal_status: 'HH',
    is_abnormal: 'true',
    status: 'F',
  });
  return { order, orderId: String(order['id']), testId: String(test['id']), resultId: String(result['id']) };
}

describe('LAB_ORDER webhooks', () => {
  beforeAll(async () => {
    await syncLabs(deps(), 'full');
  });

  it('CREATE applies the order and queues its re-read without calling DrChrono; the next cycle drains the queue', async () => {
    const o = criticalOrder(0);
    const before = await calls();
    expect((await sender.send('LAB_ORDER_CREATE', o.order)).status).toBe(200);
    expect(await calls()).toBe(before); // no DrChrono call inline
    expect(await count('lab_orders', `drchrono_id = '${o.orderId}' AND priority = 'S'`)).toBe(1);
    expect(await count('lab_order_refresh', `lab_order = '${o.orderId}'`)).toBe(1);
    expect(await count('lab_results', `lab_order = '${o.orderId}'`)).toBe(0);

    h.time.advance(15 * 60_000);
    listCalls.length = 0;
    await syncLabs(deps(), 'incremental');
    expect(await count('lab_order_refresh')).toBe(0);
    expect(await count('lab_results', `drchrono_id = '${o.resultId}' AND severity = 'critical'`)).toBe(1);
    expect(await count('lab_reviews', `lab_result = '${o.resultId}' AND closed_at IS NULL`)).toBe(1);
    // The queued order's calls drew on the webhook share.
    expect(listCalls).toEqual(['lab_orders:sync', 'lab_tests:webhook', 'lab_results:webhook']);
  });

  it('a replayed delivery (same id, then a new id with the same body) opens nothing new and announces nothing', async () => {
    const o = criticalOrder(1);
    expect((await sender.send('LAB_ORDER_CREATE', o.order)).status).toBe(200);
    h.time.advance(15 * 60_000);
    await syncLabs(deps(), 'incremental');
    expect(await count('lab_reviews', `lab_result = '${o.resultId}'`)).toBe(1);
    const outbox = await count('outbox');
    const delivery = sender.build('LAB_ORDER_MODIFY', h.sandbox.control.get('lab_orders', o.orderId)!);
    expect((await sender.sendRaw(delivery)).status).toBe(200);
    expect((await sender.sendRaw(delivery)).status).toBe(200);
    expect((await sender.send('LAB_ORDER_MODIFY', h.sandbox.control.get('lab_orders', o.orderId)!)).status).toBe(200);
    h.time.advance(15 * 60_000);
    await syncLabs(deps(), 'incremental');
    expect(await count('lab_reviews', `lab_result = '${o.resultId}'`)).toBe(1);
    expect(await count('outbox')).toBe(outbox);
  });

  it('DELETE of an order whose results arrived soft-deletes it with its tests and results and closes the review', async () => {
    const o = criticalOrder(2);
    expect((await sender.send('LAB_ORDER_CREATE', o.order)).status).toBe(200);
    h.time.advance(15 * 60_000);
    await syncLabs(deps(), 'incremental');
    expect(await count('lab_reviews', `lab_result = '${o.resultId}' AND closed_at IS NULL`)).toBe(1);

    h.sandbox.control.remove('lab_orders', o.orderId);
    expect((await sender.send('LAB_ORDER_DELETE', { id: Number(o.orderId) })).status).toBe(200);
    for (const [table, id] of [
      ['lab_orders', o.orderId],
      ['lab_tests', o.testId],
      ['lab_results', o.resultId],
    ] as const)
      expect(await count(table, `drchrono_id = '${id}' AND deleted_at IS NOT NULL`), table).toBe(1);
    const [review] = await t.sql`SELECT * FROM lab_reviews WHERE lab_result = ${o.resultId}`;
    expect(review).toMatchObject({ close_reason: 'order_deleted' });
    const [audit] = await t.sql`
      SELECT actor FROM change_log WHERE table_name = 'lab_reviews' AND row_id = ${String(review!.id)} ORDER BY id DESC LIMIT 1`;
    expect(audit!.actor).toBe('webhook:drchrono');
    expect(await count('lab_order_statuses', `lab_order = '${o.orderId}' AND deleted_at IS NOT NULL`)).toBe(1);
  });

  it('a body without the order fields, or with a malformed id, is a 400, never a 5xx', async () => {
    expect((await sender.send('LAB_ORDER_MODIFY', { id: 1, first_name: 'x' })).status).toBe(400);
    expect((await sender.send('LAB_ORDER_MODIFY', { id: { nested: 1 }, requisition_id: '1', sublab: 1 })).status).toBe(
      400,
    );
    expect((await sender.send('LAB_ORDER_DELETE', { id: 'x'.repeat(100) })).status).toBe(400);
  });

  it('no log line carries a synthetic patient value', () => {
    const phi = Array.from({ length: 40 }, (_, i) => i)
      .flatMap((i) => syntheticPhiValues(h.sandbox.control.dataset, i))
      .filter((v) => v.length >= 6);
    const exposed = [logs.text(), h.logs.join('\n')].join('\n');
    for (const value of phi) expect(exposed, 'PHI value leaked').not.toContain(value);
  });
});
