import { createMiddleware } from 'hono/factory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBaseApp } from '../../../handlers/app.js';
import { labRoutes } from '../../../handlers/drchrono-sync/lab-routes.js';
import type { Principal } from '../../../handlers/middleware/google-auth.js';
import { syntheticPhiValues } from '../../../sandbox/synthetic/index.js';
import { inChangeTransaction } from '../../../sync/db/change-transaction.js';
import { applyLabRecords, checkOverdueCriticalReviews } from '../../../sync/drchrono/lab-sync.js';
import { syncAll, syncLabs, type SyncDeps } from '../../../sync/drchrono/sync.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { captureLogs } from '../../harness/logs.js';
import { startHarness, type Harness } from '../drchrono/helpers.js';

// Labs on real PostgreSQL 16 against the DrChrono sandbox: full sync, the incremental re-read of changed orders only,
// the review queue (a critical value opens exactly one item, acknowledging closes it with the actor in change_log, a
// correction reopens it), deep reconcile, the overdue alert, and the bad inputs of issue 14. Webhook cases:
// labs-webhooks.test.ts.

const TZ = 'America/New_York';
const PATIENTS = 60;
let t: TestDatabase;
let h: Harness;
const alertLogs = captureLogs('drchrono-sync');

beforeAll(async () => {
  t = await createTestDatabase();
  h = await startHarness({ patientCount: PATIENTS, seed: 41 });
  await h.seedTokens();
});
afterAll(async () => {
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
const count = async (table: string, where = 'true') =>
  Number((await t.sql.unsafe(`SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0]!.n);
async function nextCycle() {
  h.time.advance(15 * 60_000);
  return syncLabs(deps(), 'incremental');
}
const result = async (id: string) => (await t.sql`SELECT * FROM lab_results WHERE drchrono_id = ${id}`)[0]!;
const reviewsOf = async (resultId: string) =>
  await t.sql`SELECT * FROM lab_reviews WHERE lab_result = ${resultId} ORDER BY id`;
/** Touches an order so DrChrono lists it for `since` (as a lab's new or corrected results do). */
const touchOrder = (orderId: string) => h.sandbox.control.update('lab_orders', orderId, { status: 'R' });

/** A received order with at least one test, from what the full sync stored. */
async function receivedOrder(offset = 0): Promise<{ order: string; test: string }> {
  const [row] = await t.sql`
    SELECT o.drchrono_id AS order, min(lt.drchrono_id) AS test FROM lab_orders o
    JOIN lab_tests lt ON lt.lab_order = o.drchrono_id AND lt.deleted_at IS NULL
    WHERE o.deleted_at IS NULL AND o.status = 'R' GROUP BY o.drchrono_id ORDER BY o.drchrono_id OFFSET ${offset} LIMIT 1`;
  return { order: String(row!.order), test: String(row!.test) };
}

/** A new result on a test, as the lab would send it. */
function newResult(test: string, fields: Record<string, unknown>): string {
  const created = h.sandbox.control.create('lab_results', {
    lab_test: Number(test),
    status: 'F',
    value_is_numeric: true,
    unit: 'mEq/L',
    normal_range: '0.6 1.2',
    abnormal_status: '',
    is_abnormal: 'false',
    observation_code: '14334-7',
    observation_description: 'Lithium',
    ...fields,
  });
  return String(created['id']);
}

function staffApp(principal: Principal | undefined) {
  const app = createBaseApp({ sql: t.sql, logger: alertLogs.logger, service: 'drchrono-sync' });
  const guard = createMiddleware(async (c, next) => {
    if (principal) c.set('principal', principal);
    await next();
  });
  app.route('/', labRoutes({ sql: t.sql, guard, logger: alertLogs.logger }));
  return app;
}
const clinician: Principal = { kind: 'staff', email: 'dr.review@example.test', subject: 's1', roles: ['clinician'] };

describe('full sync of labs', () => {
  it('mirrors every order, test and result, classifies each result and opens one review per abnormal result', async () => {
    const results = await syncAll(deps(), 'full');
    const of = (r: string) => results.find((x) => x.resource === r)!;
    for (const table of ['lab_orders', 'lab_tests', 'lab_results'] as const) {
      expect(await count(table, 'deleted_at IS NULL'), table).toBe(h.sandbox.control.count(table));
      expect(of(table).seen, table).toBe(h.sandbox.control.count(table));
    }
    expect(await count('lab_results')).toBeGreaterThan(50);
    // Whole lists, not per order: a handful of calls for everything.
    expect(of('lab_results').apiCalls).toBe(Math.ceil(h.sandbox.control.count('lab_results') / 250) || 1);
    // Every result has a patient (through its order) and a verdict; the generator makes some of each severity.
    expect(await count('lab_results', 'patient IS NULL')).toBe(0);
    const severities = (await t.sql`SELECT DISTINCT severity FROM lab_results`).map((r) => String(r.severity));
    expect(severities).toEqual(expect.arrayContaining(['critical', 'abnormal', 'normal']));
    // One open item per live critical/abnormal result that is not cancelled, none for the others.
    const needing = await count(
      'lab_results',
      `deleted_at IS NULL AND severity IN ('critical','abnormal') AND status IS DISTINCT FROM 'X'`,
    );
    expect(needing).toBeGreaterThan(0);
    expect(await count('lab_reviews', 'closed_at IS NULL')).toBe(needing);
    expect(
      await count('lab_reviews r JOIN lab_results x ON x.drchrono_id = r.lab_result', `x.severity = 'normal'`),
    ).toBe(0);
    // Reviews name the ordering doctor; one status row per order.
    expect(await count('lab_reviews', 'doctor IS NULL')).toBe(0);
    expect(await count('lab_order_statuses')).toBe(await count('lab_orders'));
    const numeric =
      await t.sql`SELECT pg_typeof(value_numeric)::text AS t, pg_typeof(range_low)::text AS r FROM lab_results LIMIT 1`;
    expect(numeric[0]).toEqual({ t: 'numeric', r: 'numeric' });
  });

  it('a second full run and an unchanged incremental cycle change nothing and announce nothing', async () => {
    const outbox = await count('outbox');
    const changes = await count('change_log');
    await syncLabs(deps(), 'full');
    const cycle = await nextCycle();
    expect(cycle.map((r) => r.changed)).toEqual([0, 0]);
    expect(await count('outbox')).toBe(outbox);
    expect(await count('change_log')).toBe(changes);
  });
});

describe('incremental', () => {
  it('re-reads the tests and results of the changed order only: 1 call for orders + 2 for that order', async () => {
    const { order, test } = await receivedOrder();
    const id = newResult(test, { value: '0.9' });
    touchOrder(order);
    const [orders, children] = await nextCycle();
    expect(orders!.seen).toBe(1);
    expect(orders!.apiCalls).toBe(1);
    expect(children!.apiCalls).toBe(2);
    expect(children!.changed).toBe(1); // the new result; the order's other tests and results are unchanged
    expect(await result(id)).toMatchObject({ value: '0.9', value_numeric: '0.9', range_low: '0.6', range_high: '1.2' });
    expect(await result(id)).toMatchObject({ severity: 'normal', lab_order: order });
  });
});

describe('review queue', () => {
  let resultId: string;
  let reviewId: number;

  it('a critical value opens exactly one review item, for the ordering doctor', async () => {
    const { order, test } = await receivedOrder(1);
    resultId = newResult(test, { value: '2.1', abnormal_status: 'HH', is_abnormal: 'true' });
    touchOrder(order);
    await nextCycle();
    const reviews = await reviewsOf(resultId);
    expect(reviews).toHaveLength(1);
    const [ordered] = await t.sql`SELECT doctor, patient FROM lab_orders WHERE drchrono_id = ${order}`;
    expect(reviews[0]).toMatchObject({
      severity: 'critical',
      severity_reason: 'flag:HH',
      closed_at: null,
      doctor: ordered!.doctor,
      patient: ordered!.patient,
    });
    reviewId = Number(reviews[0]!.id);
    const [status] = await t.sql`SELECT * FROM lab_order_statuses WHERE lab_order = ${order}`;
    expect(status).toMatchObject({ review_state: 'open' });
    expect(status!.critical_count).toBeGreaterThanOrEqual(1);

    // The order listed again with nothing new: no second item.
    touchOrder(order);
    await nextCycle();
    expect(await reviewsOf(resultId)).toHaveLength(1);
  });

  it('a critical item open past LAB_CRITICAL_REVIEW_MINUTES logs the overdue event with ids and counts only', async () => {
    await t.sql`UPDATE lab_reviews SET opened_at = now() - interval '2 hours' WHERE id = ${reviewId}`;
    const overdue = await checkOverdueCriticalReviews(t.sql, alertLogs.logger, 60);
    expect(overdue).toBeGreaterThanOrEqual(1);
    const line = alertLogs.records().find((r) => r['event'] === 'lab.critical_review_overdue')!;
    expect(line).toMatchObject({ severity: 'ERROR', thresholdMinutes: 60 });
    expect(line['reviewIds']).toContain(String(reviewId));
    expect(Object.keys(line)).not.toContain('value');
    // Not yet overdue with a longer threshold.
    expect(await checkOverdueCriticalReviews(t.sql, alertLogs.logger, 600)).toBe(0);
  });

  it('refuses a bad id (400), an unknown id (404), a viewer (403) and a service account (403)', async () => {
    const app = staffApp(clinician);
    expect((await app.request('/labs/reviews/abc/acknowledge', { method: 'POST' })).status).toBe(400);
    expect((await app.request('/labs/reviews/0/acknowledge', { method: 'POST' })).status).toBe(400);
    expect((await app.request('/labs/reviews/99999999/acknowledge', { method: 'POST' })).status).toBe(404);
    const viewer = staffApp({ ...clinician, roles: ['viewer'] });
    expect((await viewer.request(`/labs/reviews/${reviewId}/acknowledge`, { method: 'POST' })).status).toBe(403);
    const service = staffApp({ kind: 'service', email: 'scheduler@example.test', subject: 's2' });
    expect((await service.request(`/labs/reviews/${reviewId}/acknowledge`, { method: 'POST' })).status).toBe(403);
    expect((await reviewsOf(resultId))[0]!.closed_at).toBeNull();
  });

  it('acknowledging closes the item, records who, and puts the actor in change_log; a second time is 409', async () => {
    const app = staffApp(clinician);
    const response = await app.request(`/labs/reviews/${reviewId}/acknowledge`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ id: reviewId, acknowledgedBy: clinician.email });
    const [review] = await reviewsOf(resultId);
    expect(review).toMatchObject({ acknowledged_by: clinician.email, close_reason: 'acknowledged' });
    expect(review!.closed_at).not.toBeNull();
    const audit = await t.sql`
      SELECT actor FROM change_log WHERE table_name = 'lab_reviews' AND row_id = ${String(reviewId)} AND op = 'UPDATE'`;
    expect(audit.map((a) => a.actor)).toContain(`staff:${clinician.email}`);
    const [status] = await t.sql`SELECT review_state FROM lab_order_statuses WHERE lab_order = ${review!.lab_order}`;
    expect(status!.review_state).not.toBe('none');
    const again = await app.request(`/labs/reviews/${reviewId}/acknowledge`, { method: 'POST' });
    expect(again.status).toBe(409);
    // Re-reading the acknowledged result unchanged opens nothing.
    touchOrder(String(review!.lab_order));
    await nextCycle();
    expect(await reviewsOf(resultId)).toHaveLength(1);
    expect((await reviewsOf(resultId))[0]!.closed_at).not.toBeNull();
  });

  it('a correction (C) of the acknowledged result reopens the same item; a normal correction closes it', async () => {
    const order = String((await result(resultId)).lab_order);
    h.sandbox.control.update('lab_results', resultId, { status: 'C', value: '1.9' });
    touchOrder(order);
    await nextCycle();
    let [review] = await reviewsOf(resultId);
    expect(await reviewsOf(resultId)).toHaveLength(1);
    expect(review).toMatchObject({
      closed_at: null,
      acknowledged_by: null,
      reopened_count: 1,
      reopen_reason: 'correction',
      severity: 'critical',
    });
    h.sandbox.control.update('lab_results', resultId, { value: '1.0', abnormal_status: 'N', is_abnormal: 'false' });
    touchOrder(order);
    await nextCycle();
    [review] = await reviewsOf(resultId);
    expect(review).toMatchObject({ close_reason: 'normal' });
    const audit = await t.sql`
      SELECT actor FROM change_log WHERE table_name = 'lab_reviews' AND row_id = ${String(reviewId)} ORDER BY id DESC LIMIT 1`;
    expect(audit[0]!.actor).toBe('sync:incremental');
  });
});

describe('bad input', () => {
  it('stores unknown flag codes and classifies them unknown; a non-numeric value flagged numeric keeps its text', async () => {
    const { order, test } = await receivedOrder(2);
    const odd = newResult(test, { value: '1.4', abnormal_status: 'ZZ' });
    const text = newResult(test, { value: 'see note', value_is_numeric: true });
    const reversed = newResult(test, { value: '4', normal_range: '5 3', is_abnormal: 'maybe' });
    touchOrder(order);
    const cycle = await nextCycle();
    expect(cycle[1]!.changed).toBe(3);
    expect(await result(odd)).toMatchObject({
      abnormal_status: 'ZZ',
      severity: 'unknown',
      severity_reason: 'flag:unrecognized',
    });
    expect(await result(text)).toMatchObject({
      value: 'see note',
      value_numeric: null,
      severity: 'unknown',
      severity_reason: 'non_numeric_value',
    });
    expect(await result(reversed)).toMatchObject({
      range_low: null,
      range_high: null,
      severity_reason: 'range:text',
      is_abnormal: null,
    });
    expect(await reviewsOf(odd)).toHaveLength(0);
  });

  it('a result for an order we have not seen is stored, and gets its patient when the order arrives', async () => {
    const orphan = {
      id: 89_000_001,
      lab_test: 79_000_001,
      lab_order: '69000001',
      value: '0.3',
      value_is_numeric: true,
      unit: 'mEq/L',
      normal_range: '0.6 1.2',
      abnormal_status: 'L',
      is_abnormal: 'true',
      status: 'F',
    };
    await inChangeTransaction(t.sql, { actor: 'test' }, (tx) =>
      applyLabRecords(tx, 'lab_results', [orphan], { timeZone: TZ }),
    );
    expect(await result('89000001')).toMatchObject({ lab_order: '69000001', patient: null, severity: 'abnormal' });
    expect(await reviewsOf('89000001')).toHaveLength(1);
    const [patient] = await t.sql`SELECT drchrono_id FROM patients ORDER BY drchrono_id LIMIT 1`;
    await inChangeTransaction(t.sql, { actor: 'test' }, (tx) =>
      applyLabRecords(
        tx,
        'lab_orders',
        [
          {
            id: 69_000_001,
            patient: Number(patient!.drchrono_id),
            doctor: null,
            status: 'R',
            requisition_id: '69000001',
          },
        ],
        { timeZone: TZ },
      ),
    );
    expect((await result('89000001')).patient).toBe(patient!.drchrono_id);
    expect((await reviewsOf('89000001'))[0]!.patient).toBe(patient!.drchrono_id);
    expect(
      await count('lab_order_statuses', `lab_order = '69000001' AND abnormal_count = 1 AND review_state = 'open'`),
    ).toBe(1);
  });
});

describe('deep reconcile', () => {
  it('soft-deletes results and orders DrChrono no longer lists, and closes their reviews', async () => {
    const [open] = await t.sql`
      SELECT r.lab_result, r.lab_order FROM lab_reviews r JOIN lab_orders o ON o.drchrono_id = r.lab_order
      WHERE r.closed_at IS NULL AND o.raw <> '{}'::jsonb AND r.lab_order <> '69000001' ORDER BY r.id LIMIT 1`;
    h.sandbox.control.remove('lab_results', String(open!.lab_result));
    const results = await syncLabs(deps(), 'deep_reconcile');
    expect(results.find((r) => r.resource === 'lab_results')!.deleted).toBeGreaterThanOrEqual(1);
    expect((await result(String(open!.lab_result))).deleted_at).not.toBeNull();
    expect((await reviewsOf(String(open!.lab_result)))[0]).toMatchObject({ close_reason: 'result_deleted' });
    // The order we injected by hand is not in DrChrono: gone, with its result; its review closes as order_deleted.
    expect(await count('lab_orders', `drchrono_id = '69000001' AND deleted_at IS NOT NULL`)).toBe(1);
    expect((await reviewsOf('89000001'))[0]).toMatchObject({ close_reason: 'order_deleted' });
    expect(await count('lab_order_statuses', `lab_order = '69000001' AND deleted_at IS NOT NULL`)).toBe(1);
    // Everything else still matches DrChrono.
    for (const table of ['lab_orders', 'lab_tests', 'lab_results'] as const)
      expect(await count(table, 'deleted_at IS NULL'), table).toBe(h.sandbox.control.count(table));
  });
});

describe('what leaves the boundary', () => {
  it('no log line carries a lab value, note or comment of a synthetic patient', () => {
    const phi = Array.from({ length: PATIENTS }, (_, i) => i)
      .flatMap((i) => syntheticPhiValues(h.sandbox.control.dataset, i))
      .filter((v) => v.length >= 6);
    expect(phi.length).toBeGreaterThan(50);
    const exposed = [h.logs.join('\n'), alertLogs.text()].join('\n');
    for (const value of phi) expect(exposed, 'PHI value leaked').not.toContain(value);
  });
});
