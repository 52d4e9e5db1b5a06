import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syntheticPhiValues } from '../../../sandbox/synthetic/index.js';
import {
  DrChronoHttpError,
  DrChronoNetworkError,
  DrChronoProtocolError,
  RateLimitedError,
} from '../../../sync/drchrono/errors.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { accessLogRows, START_MS, startHarness, walkIds, type Harness } from './helpers.js';

let t: TestDatabase;
let h: Harness;

beforeEach(async () => {
  t = await createTestDatabase();
});
afterEach(async () => {
  await h.close();
  await t.drop();
});

describe('the DrChrono client on 429', () => {
  it('waits for the next clock hour in the middle of a walk and returns every record exactly once', async () => {
    h = await startHarness({ patientCount: 30, hourlyCallBudget: 3 });
    await h.seedTokens();
    const { client } = h.instance(t.sql, { client: { on429: 'wait', retryMinDelayMs: 1, retryMaxDelayMs: 5 } });

    const ids = await walkIds(client.pages('patients', { page_size: '5' }));

    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
    expect(h.time.sleeps).toEqual([3600_000]);
    expect(h.time.clock()).toBe(START_MS + 3600_000);
    expect((await accessLogRows(t.sql)).map((r) => r.status)).toEqual([200, 200, 200, 429, 200, 200, 200]);
    expect((await accessLogRows(t.sql))[3]?.error_class).toBe('RateLimitedError');
  });

  it('throws RateLimitedError with the reset time when told not to wait, and marks the shared budget full', async () => {
    h = await startHarness({ patientCount: 30, hourlyCallBudget: 1 });
    await h.seedTokens();
    const { client, budget } = h.instance(t.sql, { client: { on429: 'throw' } });
    const pages = client.pages('patients', { page_size: '5' });
    expect((await pages.next()).done).toBe(false);
    const error = await pages.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).resetsAt.getTime()).toBe(START_MS + 3600_000);
    expect(await budget.used()).toBe(budget.hourlyLimit);
  });
});

describe('the DrChrono client on 5xx, network errors and other 4xx', () => {
  it('retries a 5xx and succeeds, each retry being a counted call', async () => {
    h = await startHarness();
    await h.seedTokens();
    const { client, budget } = h.instance(t.sql);
    h.sandbox.control.failNext(2, { status: 503 });

    expect(await client.get('patients', '1000003')).toMatchObject({ id: 1000003 });
    expect((await accessLogRows(t.sql)).map((r) => [r.status, r.error_class])).toEqual([
      [503, 'DrChronoHttpError'],
      [503, 'DrChronoHttpError'],
      [200, null],
    ]);
    expect(await budget.used()).toBe(3);
    expect(h.sandbox.control.callsUsed()).toBe(3);
  });

  it('retries a failed page in the middle of a walk without losing or repeating records', async () => {
    h = await startHarness({ patientCount: 30 });
    await h.seedTokens();
    const { client } = h.instance(t.sql);
    h.sandbox.control.failRequest(3, { status: 502 });
    const ids = await walkIds(client.pages('patients', { page_size: '5' }));
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(30);
  });

  it('gives up with DrChronoHttpError after the retry limit', async () => {
    h = await startHarness();
    await h.seedTokens();
    const { client } = h.instance(t.sql, { client: { retries: 2, retryMinDelayMs: 1, retryMaxDelayMs: 5 } });
    h.sandbox.control.failNext(10, { status: 500 });

    const error = await client.get('patients', '1000003').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrChronoHttpError);
    expect(error).toMatchObject({ status: 500, pathTemplate: '/api/patients/{id}' });
    expect(await accessLogRows(t.sql)).toHaveLength(3);
  });

  it('fails a 400 at once without retrying', async () => {
    h = await startHarness();
    await h.seedTokens();
    const { client } = h.instance(t.sql);
    // The sandbox (like DrChrono) refuses an appointments list without since, date or date_range.
    const error = await client
      .pages('appointments', {})
      .next()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'DrChronoHttpError', status: 400, pathTemplate: '/api/appointments' });
    expect(await accessLogRows(t.sql)).toHaveLength(1);
  });

  it('answers null for a 404 and logs it as a call without an error', async () => {
    h = await startHarness();
    await h.seedTokens();
    const { client } = h.instance(t.sql);
    expect(await client.get('patients', '999')).toBeNull();
    expect((await accessLogRows(t.sql)).map((r) => [r.path_template, r.status, r.error_class, r.record_count])).toEqual(
      [['/api/patients/{id}', 404, null, null]],
    );
  });

  it('retries network errors and then throws DrChronoNetworkError', async () => {
    h = await startHarness();
    await h.seedTokens();
    const closed = await startHarness();
    const deadUrl = closed.sandbox.url;
    await closed.close();
    const { client } = h.instance(t.sql, {
      baseUrl: deadUrl,
      tokenUrl: `${h.sandbox.url}/o/token/`,
      client: { retries: 1, retryMinDelayMs: 1, retryMaxDelayMs: 5 },
    });
    await expect(client.get('patients', '1000000')).rejects.toBeInstanceOf(DrChronoNetworkError);
    expect((await accessLogRows(t.sql)).map((r) => [r.status, r.error_class])).toEqual([
      [null, 'DrChronoNetworkError'],
      [null, 'DrChronoNetworkError'],
    ]);
  });

  it('refuses to follow a next link to another origin (the bearer token stays home)', async () => {
    h = await startHarness();
    await h.seedTokens();
    const { client } = h.instance(t.sql);
    const error = await client
      .pages('patients', {}, { startUrl: 'https://elsewhere.example/api/patients?cursor=abc' })
      .next()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DrChronoProtocolError);
    expect(h.sandbox.control.apiRequestCount()).toBe(0);
  });
});

describe('access_log rows and logs', () => {
  it('carry path templates, counts and statuses — never query values, ids, tokens or PHI', async () => {
    h = await startHarness({ patientCount: 30, accessTokenLifetimeSeconds: 3600 });
    const seeded = await h.seedTokens();
    const { client } = h.instance(t.sql);
    const since = '2025-06-01T00:00:00';
    const dataset = h.sandbox.control.dataset;

    const patients = [];
    for await (const page of client.pages(
      'patients',
      { since, page_size: '10', verbose: 'true' },
      { requestId: 'job-42' },
    ))
      patients.push(...page.results);
    expect(patients.length).toBeGreaterThan(0);
    const patientId = String(patients[0]?.id);
    h.sandbox.control.failNext(1, { status: 503 });
    await client.get('patients', patientId, { priority: 'webhook' });
    for await (const page of client.pages('appointments', { patient: patientId, since, page_size: '5' })) void page;
    h.time.advance(55 * 60_000); // forces a refresh
    await client.get('patients', String(1_000_001));
    h.sandbox.control.setHourlyCallBudget(h.sandbox.control.callsUsed()); // the next call gets a 429, then waits
    for await (const page of client.pages('medications', { patient: patientId })) void page;

    const rows = await accessLogRows(t.sql);
    expect(new Set(rows.map((r) => r.path_template))).toEqual(
      new Set(['/api/patients', '/api/patients/{id}', '/api/appointments', '/o/token/', '/api/medications']),
    );
    expect(rows.every((r) => r.service === 'drchrono')).toBe(true);
    expect(
      rows
        .filter((r) => r.path_template === '/api/patients')
        .map((r) => r.record_count)
        .reduce((a, b) => (a ?? 0) + (b ?? 0), 0),
    ).toBe(patients.length);
    expect(rows.filter((r) => r.path_template === '/api/patients').every((r) => r.request_id === 'job-42')).toBe(true);
    expect(rows.some((r) => r.status === 429)).toBe(true);
    expect(rows.some((r) => r.status === 503)).toBe(true);

    const stored = await h.store.load();
    const forbidden = [
      since,
      patientId,
      '1000001',
      seeded.accessToken,
      seeded.refreshToken,
      stored?.accessToken ?? '',
      stored?.refreshToken ?? '',
      'sandbox-client-secret',
      'cursor',
      '?',
      ...Array.from({ length: 30 }, (_, i) => syntheticPhiValues(dataset, i)).flat(),
    ].filter((v) => v.length > 0);
    expect(forbidden.length).toBeGreaterThan(100);
    const rowText = rows.map((r) => JSON.stringify(r)).join('\n');
    const logText = h.logs.join('');
    expect(h.logs.length).toBeGreaterThan(0);
    for (const value of forbidden) {
      expect(rowText.includes(value), `access_log contains a forbidden value`).toBe(false);
      expect(logText.includes(value), `logs contain a forbidden value`).toBe(false);
    }
  });
});
