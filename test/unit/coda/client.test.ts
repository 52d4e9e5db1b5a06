import { describe, expect, it } from 'vitest';
import { createCodaClient, type CodaClientOptions } from '../../../sync/coda/client.js';
import { CodaHttpError, CodaRateLimitedError } from '../../../sync/coda/errors.js';
import { createCodaRateLimiter } from '../../../sync/coda/rate-limiter.js';
import { inProcessCoda, recordingSql, TOKEN } from './helpers.js';

function setup(options: Partial<CodaClientOptions> = {}) {
  const coda = inProcessCoda();
  const doc = coda.control.createDoc({
    docId: 'doc1',
    tables: [
      {
        name: 'T',
        columns: [
          { name: 'Key', id: 'c-key' },
          { name: 'V', id: 'c-v' },
        ],
      },
    ],
  });
  const tableId = doc.tables['T']!.id;
  const waits: number[] = [];
  const log = recordingSql();
  const client = createCodaClient({
    baseUrl: coda.baseUrl,
    token: TOKEN,
    sql: log.sql,
    fetch: coda.fetch,
    rateLimiter: createCodaRateLimiter(),
    sleep: async (ms) => void waits.push(ms),
    random: () => 0,
    retryMinDelayMs: 100,
    ...options,
  });
  const row = (k: string, v: string) => ({
    cells: [
      { column: 'c-key', value: k },
      { column: 'c-v', value: v },
    ],
  });
  return { coda, client, tableId, waits, log, row };
}

describe('createCodaClient', () => {
  it('upserts, confirms the mutation and reads the rows back', async () => {
    const { coda, client, tableId, row } = setup();
    const requestId = await client.upsertRows('doc1', tableId, [row('1', 'a'), row('2', 'b')], ['c-key']);
    coda.control.flush();
    expect(await client.mutationStatus(requestId)).toEqual({ completed: true });
    const rows = await client.listRows('doc1', tableId);
    expect(rows.map((r) => r.values)).toEqual([
      { 'c-key': '1', 'c-v': 'a' },
      { 'c-key': '2', 'c-v': 'b' },
    ]);
  });

  it('backs off with growing jittered delays on 5xx and succeeds', async () => {
    const { coda, client, tableId, waits, row } = setup();
    coda.control.injectFaults({ status: 503, count: 3, scope: 'writes' });
    await expect(client.upsertRows('doc1', tableId, [row('1', 'a')], ['c-key'])).resolves.toMatch(/.+/);
    expect(waits).toEqual([100, 200, 400]);
  });

  it('waits exactly Retry-After on 429 when Coda sends it', async () => {
    const { coda, client, tableId, waits, row } = setup();
    coda.control.injectFaults({ status: 429, count: 2, scope: 'writes', retryAfterSeconds: 3 });
    await client.upsertRows('doc1', tableId, [row('1', 'a')], ['c-key']);
    expect(waits).toEqual([3000, 3000]);
  });

  it('throws CodaRateLimitedError when 429s outlast the retries, and does not retry a 4xx', async () => {
    const { coda, client, tableId, row, waits } = setup({ retries: 2 });
    coda.control.injectFaults({ status: 429, count: 5, scope: 'writes' });
    await expect(client.upsertRows('doc1', tableId, [row('1', 'a')], ['c-key'])).rejects.toBeInstanceOf(
      CodaRateLimitedError,
    );
    coda.control.clearFaults();
    waits.length = 0;
    const error = await client
      .upsertRows('doc1', tableId, [{ cells: [{ column: 'c-nope', value: 'x' }] }], ['c-key'])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CodaHttpError);
    expect((error as CodaHttpError).status).toBe(400);
    expect(waits).toEqual([]);
  });

  it('writes one access_log row per call with the path template, never ids or values', async () => {
    const { coda, client, tableId, log, row } = setup();
    coda.control.injectFaults({ status: 500, count: 1, scope: 'writes' });
    const requestId = await client.upsertRows('doc1', tableId, [row('1', 'secret-value')], ['c-key'], {
      requestId: 'req-1',
    });
    await client.mutationStatus(requestId);
    await client.listColumns('doc1', tableId);
    // values: service, method, path_template, status, duration_ms, record_count, error_class, request_id
    expect(
      log.rows.map(([service, method, template, status, , count, errorClass, req]) => [
        service,
        method,
        template,
        status,
        count,
        errorClass,
        req,
      ]),
    ).toEqual([
      ['coda', 'POST', '/docs/{docId}/tables/{tableId}/rows', 500, 1, 'CodaHttpError', 'req-1'],
      ['coda', 'POST', '/docs/{docId}/tables/{tableId}/rows', 202, 1, null, 'req-1'],
      ['coda', 'GET', '/mutationStatus/{requestId}', 200, null, null, null],
      ['coda', 'GET', '/docs/{docId}/tables/{tableId}/columns', 200, 2, null, null],
    ]);
    const text = JSON.stringify(log.rows);
    for (const leak of ['secret-value', tableId, 'doc1', requestId, TOKEN]) expect(text).not.toContain(leak);
  });

  it('refuses more than 500 rows per call and a bad base URL at construction', async () => {
    const { client, tableId, row } = setup();
    await expect(
      client.upsertRows(
        'doc1',
        tableId,
        Array.from({ length: 501 }, (_, i) => row(String(i), 'v')),
        ['c-key'],
      ),
    ).rejects.toThrow(/at most 500 rows/);
    expect(() => createCodaClient({ baseUrl: 'ftp://x', token: 't', sql: recordingSql().sql })).toThrow(/http\(s\)/);
    expect(() => createCodaClient({ token: '', sql: recordingSql().sql })).toThrow(/token/);
  });
});
