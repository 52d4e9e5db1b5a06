import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../../sync/db/client.js';
import { createCallBudget } from '../../../sync/drchrono/budget.js';
import { CallBudgetExhaustedError } from '../../../sync/drchrono/errors.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { fakeTime, START_MS, startHarness, type Harness } from './helpers.js';
import { LOG_EVENTS } from '../../../contract/resources.js';
import { captureLogs } from '../../harness/logs.js';

let t: TestDatabase;
let other: Database;
let h: Harness | undefined;

beforeEach(async () => {
  t = await createTestDatabase();
  other = createDatabase({ url: t.url, maxConnections: 5 });
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await other.close();
  await t.drop();
});

const settle = async (calls: Array<Promise<unknown>>) => {
  const results = await Promise.allSettled(calls);
  const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  for (const r of rejected) expect(r.reason).toBeInstanceOf(CallBudgetExhaustedError);
  return { granted: results.length - rejected.length, refused: rejected.length };
};

describe('the shared call budget', () => {
  it('never grants more than the limit to two instances reserving at once, and keeps the webhook reserve from sync work', async () => {
    const time = fakeTime();
    const options = { clock: time.clock, hourlyLimit: 20, webhookReserve: 5, whenExhausted: 'throw' as const };
    const a = createCallBudget({ sql: t.sql, ...options });
    const b = createCallBudget({ sql: other.sql, ...options });

    const sync = await settle(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).reserve('sync')));
    expect(sync).toEqual({ granted: 15, refused: 25 });

    const webhook = await settle(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).reserve('webhook')));
    expect(webhook).toEqual({ granted: 5, refused: 5 });
    expect(await a.used()).toBe(20);
  });

  it("logs every reservation with its kind and the hour's use so far (the dashboard's budget charts)", async () => {
    const time = fakeTime();
    const logs = captureLogs();
    const budget = createCallBudget({
      sql: t.sql,
      clock: time.clock,
      hourlyLimit: 10,
      webhookReserve: 2,
      logger: logs.logger,
    });
    await budget.reserve('sync', undefined, 'incremental');
    await budget.reserve('webhook');
    await budget.reserve('background', undefined, 'deep_reconcile');
    const lines = logs.records().filter((r) => r.event === LOG_EVENTS.drchronoCallReserved);
    expect(lines.map((r) => [r.kind, r.priority, r.usedThisHour, r.limit])).toEqual([
      ['incremental', 'sync', 1, 10],
      ['webhook', 'webhook', 2, 10],
      ['deep_reconcile', 'background', 3, 10],
    ]);
    // The same calls, counted per kind in Postgres for `platform budget`.
    expect(await budget.usageByKind()).toEqual({ incremental: 1, webhook: 1, deep_reconcile: 1 });
  });

  it('keeps background walks inside what the cycles and webhooks leave', async () => {
    const time = fakeTime(START_MS + 2 * 3_600_000);
    const budget = createCallBudget({
      sql: t.sql,
      clock: time.clock,
      hourlyLimit: 10,
      webhookReserve: 2,
      incrementalReserve: 3,
      whenExhausted: 'throw',
    });
    for (let i = 0; i < 5; i++) await budget.reserve('background', undefined, 'full');
    await expect(budget.reserve('background', undefined, 'full')).rejects.toBeInstanceOf(CallBudgetExhaustedError);
    for (let i = 0; i < 3; i++) await budget.reserve('sync', undefined, 'incremental');
    await expect(budget.reserve('sync')).rejects.toBeInstanceOf(CallBudgetExhaustedError);
    for (let i = 0; i < 2; i++) await budget.reserve('webhook');
    await expect(budget.reserve('webhook')).rejects.toBeInstanceOf(CallBudgetExhaustedError);
    expect(await budget.usageByKind()).toEqual({ full: 5, incremental: 3, webhook: 2 });
  });

  it('throws CallBudgetExhaustedError with the next hour as the reset time', async () => {
    const time = fakeTime(START_MS + 25 * 60_000);
    const budget = createCallBudget({
      sql: t.sql,
      clock: time.clock,
      hourlyLimit: 2,
      webhookReserve: 1,
      whenExhausted: 'throw',
    });
    await budget.reserve('sync');
    const error = await budget.reserve('sync').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallBudgetExhaustedError);
    expect((error as CallBudgetExhaustedError).resetsAt.toISOString()).toBe(
      new Date(START_MS + 3600_000).toISOString(),
    );
  });

  it('makes sync work wait for the next clock hour when told to wait; webhook work never waits', async () => {
    const time = fakeTime(START_MS + 50 * 60_000);
    const budget = createCallBudget({
      sql: t.sql,
      clock: time.clock,
      sleep: time.sleep,
      hourlyLimit: 3,
      webhookReserve: 1,
    });
    await budget.reserve('sync');
    await budget.reserve('sync');
    await budget.reserve('webhook');
    await expect(budget.reserve('webhook')).rejects.toBeInstanceOf(CallBudgetExhaustedError);

    await budget.reserve('sync');
    expect(time.sleeps).toEqual([10 * 60_000]);
    expect(time.clock()).toBe(START_MS + 3600_000);
    expect(await budget.used()).toBe(1);
    expect(await budget.used(new Date(START_MS))).toBe(3);
  });

  it('is marked full for the hour after a 429 so other instances stop too', async () => {
    const time = fakeTime();
    const budget = createCallBudget({
      sql: t.sql,
      clock: time.clock,
      hourlyLimit: 10,
      webhookReserve: 2,
      whenExhausted: 'throw',
    });
    await budget.reserve('sync');
    await budget.markHourExhausted();
    await expect(
      createCallBudget({
        sql: other.sql,
        clock: time.clock,
        hourlyLimit: 10,
        webhookReserve: 2,
        whenExhausted: 'throw',
      }).reserve('webhook'),
    ).rejects.toBeInstanceOf(CallBudgetExhaustedError);
  });

  it('rejects limits that leave no room for sync work, naming the option', () => {
    expect(() => createCallBudget({ sql: t.sql, hourlyLimit: 100, webhookReserve: 100 })).toThrow(/webhookReserve/);
    expect(() => createCallBudget({ sql: t.sql, hourlyLimit: 0 })).toThrow(/hourlyLimit/);
  });

  it('defaults the webhook reserve to 100 calls, or a quarter of a small limit', () => {
    expect(createCallBudget({ sql: t.sql }).webhookReserve).toBe(100);
    expect(createCallBudget({ sql: t.sql }).hourlyLimit).toBe(480);
    expect(createCallBudget({ sql: t.sql, hourlyLimit: 40 }).webhookReserve).toBe(10);
  });

  it('keeps two clients together under the limit at the sandbox, and sync clients out of the webhook share', async () => {
    h = await startHarness({ patientCount: 30 });
    await h.seedTokens();
    const budget = { hourlyLimit: 10, webhookReserve: 4, whenExhausted: 'throw' as const };
    const a = h.instance(t.sql, { budget }).client;
    const b = h.instance(other.sql, { budget }).client;

    const sync = await settle(
      Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? a : b).get('patients', String(1_000_000 + i))),
    );
    expect(sync).toEqual({ granted: 6, refused: 6 });
    const webhook = await settle(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? a : b).get('patients', String(1_000_000 + i), { priority: 'webhook' }),
      ),
    );
    expect(webhook).toEqual({ granted: 4, refused: 2 });
    expect(h.sandbox.control.callsUsed()).toBe(10);
  });
});
