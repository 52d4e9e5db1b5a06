import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCodaSandbox } from '../../../../sandbox/coda/index.js';
import type { CodaSandbox, CodaSandboxOptions, CreatedCodaDoc } from '../../../../sandbox/coda/index.js';

const TOKEN = 'test-token';
const BASE = 'http://localhost/apis/v1';

let clock = 1_700_000_000_000;
let sandbox: CodaSandbox;
let doc: CreatedCodaDoc;

function setup(options: Partial<CodaSandboxOptions> = {}) {
  sandbox = createCodaSandbox({ tokens: [TOKEN], clock: () => clock, ...options });
  doc = sandbox.control.createDoc({
    docId: 'doc-test',
    tables: [
      {
        name: 'Patients',
        columns: [
          { name: 'DrChrono ID' },
          { name: 'First name' },
          { name: 'Deleted' },
          { name: 'Age', calculated: true },
        ],
      },
      { name: 'Recent patients', viewOf: 'Patients' },
    ],
  });
}

function ids() {
  const patients = doc.tables['Patients'];
  if (!patients) throw new Error('no Patients table');
  const col = (name: string) => {
    const id = patients.columns[name];
    if (!id) throw new Error(`no column ${name}`);
    return id;
  };
  return {
    table: patients.id,
    key: col('DrChrono ID'),
    first: col('First name'),
    deleted: col('Deleted'),
    age: col('Age'),
  };
}

function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return sandbox.app.request(`${BASE}${path}`, {
    method,
    headers,
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

function upsert(rows: Array<Record<string, unknown>>, keyColumns?: string[]) {
  const { table } = ids();
  return call('POST', `/docs/${doc.docId}/tables/${table}/rows`, {
    rows: rows.map((r) => ({ cells: Object.entries(r).map(([column, value]) => ({ column, value })) })),
    ...(keyColumns && { keyColumns }),
  });
}

beforeEach(() => {
  clock = 1_700_000_000_000;
  setup();
});

afterEach(() => {
  sandbox.control.dispose();
});

describe('doc creation', () => {
  it('returns grid- table ids and c- column ids that stay the same for the same spec', () => {
    const { table, key } = ids();
    expect(table).toMatch(/^grid-[A-Za-z0-9]{10}$/);
    expect(key).toMatch(/^c-[A-Za-z0-9]{10}$/);
    const again = createCodaSandbox({ tokens: [TOKEN] }).control.createDoc({
      docId: 'doc-test',
      tables: [{ name: 'Patients', columns: [{ name: 'DrChrono ID' }] }],
    });
    expect(again.tables['Patients']).toEqual({ id: table, columns: { 'DrChrono ID': key } });
  });

  it('refuses a view of a table the spec does not define', () => {
    expect(() => sandbox.control.createDoc({ tables: [{ name: 'V', viewOf: 'Missing' }] })).toThrow(/Missing/);
  });
});

describe('authentication and errors', () => {
  it('answers 401 in Coda error shape without a token', async () => {
    const res = await call('GET', `/docs/${doc.docId}/tables/${ids().table}/columns`, undefined, null);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ statusCode: 401, statusMessage: 'Unauthorized', message: expect.any(String) });
  });

  it('answers 401 for a wrong token', async () => {
    const res = await call('GET', `/docs/${doc.docId}/tables/${ids().table}/columns`, undefined, 'wrong');
    expect(res.status).toBe(401);
  });

  it('answers 404 in Coda error shape for an unknown doc or table', async () => {
    const noDoc = await call('GET', `/docs/nope/tables/${ids().table}/columns`);
    expect(noDoc.status).toBe(404);
    expect(await noDoc.json()).toEqual({ statusCode: 404, statusMessage: 'Not Found', message: expect.any(String) });
    const noTable = await call('GET', `/docs/${doc.docId}/tables/grid-nope/rows`);
    expect(noTable.status).toBe(404);
  });

  it('refuses to start without tokens', () => {
    expect(() => createCodaSandbox({ tokens: [] })).toThrow(/tokens/);
  });
});

describe('columns', () => {
  it('lists columns with id, name, calculated and format', async () => {
    const res = await call('GET', `/docs/${doc.docId}/tables/${ids().table}/columns`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<Record<string, unknown>>; nextPageToken?: string };
    expect(body.items.map((c) => c.name)).toEqual(['DrChrono ID', 'First name', 'Deleted', 'Age']);
    expect(body.items[3]).toMatchObject({ id: ids().age, type: 'column', calculated: true, format: { type: 'text' } });
    expect(body.items[0]).toMatchObject({ calculated: false, href: expect.stringContaining(`/columns/${ids().key}`) });
    expect(body.nextPageToken).toBeUndefined();
  });

  it('pages columns with limit and pageToken', async () => {
    const path = `/docs/${doc.docId}/tables/${ids().table}/columns`;
    const first = (await (await call('GET', `${path}?limit=3`)).json()) as {
      items: Array<{ name: string }>;
      nextPageToken: string;
    };
    expect(first.items).toHaveLength(3);
    expect(first.nextPageToken).toEqual(expect.any(String));
    const second = (await (await call('GET', `${path}?limit=3&pageToken=${first.nextPageToken}`)).json()) as {
      items: Array<{ name: string }>;
      nextPageToken?: string;
    };
    expect(second.items.map((c) => c.name)).toEqual(['Age']);
    expect(second.nextPageToken).toBeUndefined();
  });

  it('lists a table by its name too', async () => {
    const res = await call('GET', `/docs/${doc.docId}/tables/${encodeURIComponent('Patients')}/columns`);
    expect(res.status).toBe(200);
  });

  it('refuses a malformed page token with 400', async () => {
    const res = await call('GET', `/docs/${doc.docId}/tables/${ids().table}/columns?pageToken=garbage`);
    expect(res.status).toBe(400);
  });
});

describe('upsert', () => {
  it('answers 202 with a requestId and addedRowIds when there are no key columns', async () => {
    const { key, first } = ids();
    const res = await upsert([
      { [key]: '1', [first]: 'Ada' },
      { [key]: '2', [first]: 'Bo' },
    ]);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { requestId: string; addedRowIds: string[] };
    expect(body.requestId).toEqual(expect.any(String));
    expect(body.addedRowIds).toHaveLength(2);
    expect(body.addedRowIds[0]).toMatch(/^i-/);
    sandbox.control.flush();
    expect(sandbox.control.rows(ids().table).map((r) => r.id)).toEqual(body.addedRowIds);
  });

  it('omits addedRowIds when key columns are given', async () => {
    const { key } = ids();
    const body = (await (await upsert([{ [key]: '1' }], [key])).json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['requestId']);
  });

  it('updates every row matching the key and inserts rows that match none', async () => {
    const { key, first, table } = ids();
    await upsert([
      { [key]: '7', [first]: 'Dup A' },
      { [key]: '7', [first]: 'Dup B' },
      { [key]: '8', [first]: 'Other' },
    ]);
    sandbox.control.flush();
    await upsert(
      [
        { [key]: '7', [first]: 'Updated' },
        { [key]: '9', [first]: 'New' },
      ],
      [key],
    );
    sandbox.control.flush();
    const rows = sandbox.control.rows(table);
    expect(rows).toHaveLength(4);
    expect(rows.filter((r) => r.values[key] === '7').map((r) => r.values[first])).toEqual(['Updated', 'Updated']);
    expect(rows.find((r) => r.values[key] === '8')?.values[first]).toBe('Other');
    expect(rows.find((r) => r.values[key] === '9')?.values[first]).toBe('New');
  });

  it('keeps cells the upsert does not name', async () => {
    const { key, first, deleted, table } = ids();
    await upsert([{ [key]: '1', [first]: 'Ada', [deleted]: false }], [key]);
    sandbox.control.flush();
    await upsert([{ [key]: '1', [deleted]: true }], [key]);
    sandbox.control.flush();
    expect(sandbox.control.rows(table)[0]?.values).toEqual({ [key]: '1', [first]: 'Ada', [deleted]: true });
  });

  it('is idempotent when the same batch is sent twice with key columns', async () => {
    const { key, first, table } = ids();
    const batch = [
      { [key]: '1', [first]: 'Ada' },
      { [key]: '2', [first]: 'Bo' },
    ];
    await upsert(batch, [key]);
    await upsert(batch, [key]);
    sandbox.control.flush();
    expect(sandbox.control.rows(table)).toHaveLength(2);
  });

  it('inserts again after a keyed row was deleted, and matches on other key columns correctly', async () => {
    const { key, first, table } = ids();
    const added = (await (await upsert([{ [key]: '1', [first]: 'Ada' }])).json()) as { addedRowIds: string[] };
    await upsert([{ [key]: '1', [first]: 'Ada 2' }], [key]);
    sandbox.control.flush();
    await call('DELETE', `/docs/${doc.docId}/tables/${table}/rows`, { rowIds: added.addedRowIds });
    await upsert([{ [key]: '1', [first]: 'Ada 3' }], [key]);
    await upsert([{ [first]: 'Ada 3', [key]: '9' }], [first]);
    sandbox.control.flush();
    expect(sandbox.control.rows(table).map((r) => r.values)).toEqual([{ [key]: '9', [first]: 'Ada 3' }]);
  });

  it('refuses to write a calculated column with 400', async () => {
    const { key, age } = ids();
    const res = await upsert([{ [key]: '1', [age]: 42 }], [key]);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      statusCode: 400,
      statusMessage: 'Bad Request',
      message: expect.stringContaining('calculated'),
    });
  });

  it('refuses an unknown column with 400', async () => {
    const res = await upsert([{ 'c-unknown': 'x' }]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('c-unknown');
  });

  it('refuses an unknown key column and a row without the key value with 400', async () => {
    const { key, first } = ids();
    expect((await upsert([{ [key]: '1' }], ['c-nope'])).status).toBe(400);
    expect((await upsert([{ [first]: 'no key' }], [key])).status).toBe(400);
  });

  it('refuses writes to a view with 400', async () => {
    const view = doc.tables['Recent patients'];
    const res = await call('POST', `/docs/${doc.docId}/tables/${view?.id}/rows`, {
      rows: [{ cells: [{ column: ids().key, value: '1' }] }],
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('view');
  });

  it.each([
    ['not JSON', '{"rows":'],
    ['no rows', {}],
    ['empty rows', { rows: [] }],
    ['cells not an array', { rows: [{ cells: 'x' }] }],
    ['a cell without value', { rows: [{ cells: [{ column: 'c-x' }] }] }],
    ['keyColumns not an array', { rows: [{ cells: [] }], keyColumns: 'c-x' }],
  ])('refuses a body with %s with 400 in Coda error shape', async (_label, body) => {
    const res = await call('POST', `/docs/${doc.docId}/tables/${ids().table}/rows`, body);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ statusCode: 400, statusMessage: 'Bad Request', message: expect.any(String) });
  });

  it('refuses a body above the size cap with 413 in Coda error shape', async () => {
    setup({ maxBodyBytes: 1024 });
    const { key } = ids();
    const res = await upsert([{ [key]: 'x'.repeat(2048) }]);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ statusCode: 413, message: expect.stringContaining('1024') });
  });
});

describe('asynchronous apply and mutationStatus', () => {
  it('reports completed false until the delay passes, then true and the row is visible', async () => {
    setup({ applyDelayMs: 50 });
    const { key, table } = ids();
    const { requestId } = (await (await upsert([{ [key]: '1' }], [key])).json()) as { requestId: string };
    const before = await call('GET', `/mutationStatus/${encodeURIComponent(requestId)}`);
    expect(before.status).toBe(200);
    expect(await before.json()).toEqual({ completed: false });
    expect(sandbox.control.rows(table)).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 80));
    expect(await (await call('GET', `/mutationStatus/${encodeURIComponent(requestId)}`)).json()).toEqual({
      completed: true,
    });
    expect(sandbox.control.rows(table)).toHaveLength(1);
  });

  it('applies pending mutations at once on flush, in the order they were accepted', async () => {
    setup({ applyDelayMs: 60_000 });
    const { key, first, table } = ids();
    await upsert([{ [key]: '1', [first]: 'one' }], [key]);
    await upsert([{ [key]: '1', [first]: 'two' }], [key]);
    expect(sandbox.control.pendingMutations()).toBe(2);
    expect(sandbox.control.flush()).toBe(2);
    expect(sandbox.control.rows(table).map((r) => r.values[first])).toEqual(['two']);
  });

  it('applies with delay 0 only after the response, never inside the request', async () => {
    const { key, table } = ids();
    await upsert([{ [key]: '1' }], [key]);
    expect(sandbox.control.rows(table)).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 5));
    expect(sandbox.control.rows(table)).toHaveLength(1);
  });

  it('answers 404 for an unknown requestId', async () => {
    const res = await call('GET', '/mutationStatus/mutate:unknown');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ statusCode: 404 });
  });

  it('never completes a stalled mutation, and later ones still apply', async () => {
    const { key, table } = ids();
    sandbox.control.stallNextMutations(1);
    const lost = (await (await upsert([{ [key]: '1' }], [key])).json()) as { requestId: string };
    const kept = (await (await upsert([{ [key]: '2' }], [key])).json()) as { requestId: string };
    sandbox.control.flush();
    expect(await (await call('GET', `/mutationStatus/${lost.requestId}`)).json()).toEqual({ completed: false });
    expect(await (await call('GET', `/mutationStatus/${kept.requestId}`)).json()).toEqual({ completed: true });
    expect(sandbox.control.rows(table).map((r) => r.values[key])).toEqual(['2']);
  });
});

describe('listing rows', () => {
  async function seed(n: number) {
    const { key, first } = ids();
    await upsert(Array.from({ length: n }, (_, i) => ({ [key]: String(i + 1), [first]: `name ${i + 1}` })));
    sandbox.control.flush();
  }

  it('lists rows with id, index, name, values by column id and timestamps', async () => {
    await seed(2);
    const { key, first, table } = ids();
    const body = (await (await call('GET', `/docs/${doc.docId}/tables/${table}/rows`)).json()) as {
      items: Array<Record<string, unknown>>;
    };
    expect(body.items).toHaveLength(2);
    expect(body.items[1]).toMatchObject({
      id: expect.stringMatching(/^i-/),
      type: 'row',
      index: 1,
      name: '2',
      values: { [key]: '2', [first]: 'name 2', [ids().deleted]: '', [ids().age]: '' },
      createdAt: new Date(clock).toISOString(),
      updatedAt: new Date(clock).toISOString(),
      href: expect.stringContaining(`/tables/${table}/rows/`),
    });
  });

  it('pages rows with limit and pageToken until nextPageToken is absent', async () => {
    await seed(7);
    const { key, table } = ids();
    const seen: unknown[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const qs = `limit=3${token ? `&pageToken=${token}` : ''}`;
      const body = (await (await call('GET', `/docs/${doc.docId}/tables/${table}/rows?${qs}`)).json()) as {
        items: Array<{ values: Record<string, unknown> }>;
        nextPageToken?: string;
      };
      seen.push(...body.items.map((r) => r.values[key]));
      token = body.nextPageToken;
      pages += 1;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(['1', '2', '3', '4', '5', '6', '7']);
  });

  it('filters rows by query with a JSON-encoded value', async () => {
    await seed(5);
    const { key, table } = ids();
    const q = encodeURIComponent(`${key}:"3"`);
    const body = (await (await call('GET', `/docs/${doc.docId}/tables/${table}/rows?query=${q}`)).json()) as {
      items: Array<{ values: Record<string, unknown> }>;
    };
    expect(body.items.map((r) => r.values[key])).toEqual(['3']);
  });

  it('filters rows by a quoted column name', async () => {
    await seed(3);
    const { key, table } = ids();
    const q = encodeURIComponent('"DrChrono ID":"2"');
    const body = (await (await call('GET', `/docs/${doc.docId}/tables/${table}/rows?query=${q}`)).json()) as {
      items: Array<{ values: Record<string, unknown> }>;
    };
    expect(body.items.map((r) => r.values[key])).toEqual(['2']);
  });

  it('refuses a query whose value is not JSON with 400', async () => {
    const { key, table } = ids();
    const res = await call('GET', `/docs/${doc.docId}/tables/${table}/rows?query=${encodeURIComponent(`${key}:bare`)}`);
    expect(res.status).toBe(400);
  });

  it('keys values by column name with useColumnNames=true', async () => {
    await seed(1);
    const body = (await (
      await call('GET', `/docs/${doc.docId}/tables/${ids().table}/rows?useColumnNames=true`)
    ).json()) as {
      items: Array<{ values: Record<string, unknown> }>;
    };
    expect(body.items[0]?.values).toEqual({ 'DrChrono ID': '1', 'First name': 'name 1', Deleted: '', Age: '' });
  });

  it('lists the rows of the base table through a view', async () => {
    await seed(2);
    const view = doc.tables['Recent patients'];
    const body = (await (await call('GET', `/docs/${doc.docId}/tables/${view?.id}/rows`)).json()) as {
      items: unknown[];
    };
    expect(body.items).toHaveLength(2);
  });
});

describe('deleting rows', () => {
  it('answers 202 with requestId and rowIds and removes the rows once applied', async () => {
    const { key, table } = ids();
    const added = (await (await upsert([{ [key]: '1' }, { [key]: '2' }])).json()) as { addedRowIds: string[] };
    sandbox.control.flush();
    const target = added.addedRowIds[0] as string;
    const res = await call('DELETE', `/docs/${doc.docId}/tables/${table}/rows`, { rowIds: [target] });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ requestId: expect.any(String), rowIds: [target] });
    expect(sandbox.control.rows(table)).toHaveLength(2);
    sandbox.control.flush();
    expect(sandbox.control.rows(table).map((r) => r.values[key])).toEqual(['2']);
  });

  it('refuses a delete body without rowIds with 400', async () => {
    const res = await call('DELETE', `/docs/${doc.docId}/tables/${ids().table}/rows`, { ids: [] });
    expect(res.status).toBe(400);
  });
});

describe('rate limits', () => {
  it('answers the 11th write within 6 s with 429 and allows writes again after the window', async () => {
    const { key } = ids();
    for (let i = 0; i < 10; i += 1) {
      clock += 100;
      expect((await upsert([{ [key]: String(i) }], [key])).status).toBe(202);
    }
    clock += 100;
    const refused = await upsert([{ [key]: 'x' }], [key]);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(await refused.json()).toEqual({
      statusCode: 429,
      statusMessage: 'Too Many Requests',
      message: expect.any(String),
    });
    // The first write was at +100 ms; the window slides past it at +6100 ms.
    clock = 1_700_000_000_000 + 6_100;
    expect((await upsert([{ [key]: 'y' }], [key])).status).toBe(202);
  });

  it('keeps reads working while writes are over budget', async () => {
    const { key, table } = ids();
    for (let i = 0; i < 11; i += 1) await upsert([{ [key]: String(i) }], [key]);
    expect((await call('GET', `/docs/${doc.docId}/tables/${table}/rows`)).status).toBe(200);
  });

  it('answers the 101st read within 6 s with 429', async () => {
    const path = `/docs/${doc.docId}/tables/${ids().table}/columns`;
    for (let i = 0; i < 100; i += 1) expect((await call('GET', path)).status).toBe(200);
    expect((await call('GET', path)).status).toBe(429);
  });

  it('keeps one budget per token', async () => {
    setup({ tokens: [TOKEN, 'other-token'] });
    const { key, table } = ids();
    for (let i = 0; i < 10; i += 1) await upsert([{ [key]: String(i) }], [key]);
    expect((await upsert([{ [key]: 'x' }], [key])).status).toBe(429);
    const other = await call(
      'POST',
      `/docs/${doc.docId}/tables/${table}/rows`,
      { rows: [{ cells: [{ column: key, value: 'z' }] }] },
      'other-token',
    );
    expect(other.status).toBe(202);
  });

  it('sends a configured Retry-After with the 429', async () => {
    setup({ rateLimits: { retryAfter: 'computed' } });
    const { key } = ids();
    for (let i = 0; i < 10; i += 1) await upsert([{ [key]: String(i) }], [key]);
    clock += 1_000;
    const res = await upsert([{ [key]: 'x' }], [key]);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('5');
  });
});

describe('fault switches', () => {
  it('answers the next N calls with the injected status, then recovers', async () => {
    const { key } = ids();
    sandbox.control.injectFaults({ status: 503, count: 2 });
    expect((await upsert([{ [key]: '1' }], [key])).status).toBe(503);
    const second = await upsert([{ [key]: '1' }], [key]);
    expect(second.status).toBe(503);
    expect(await second.json()).toMatchObject({ statusCode: 503, statusMessage: 'Service Unavailable' });
    expect((await upsert([{ [key]: '1' }], [key])).status).toBe(202);
  });

  it('answers a 429 storm for a time window on the sandbox clock, with an optional Retry-After', async () => {
    const { key } = ids();
    sandbox.control.injectFaults({ status: 429, durationMs: 10_000, retryAfterSeconds: 3, scope: 'writes' });
    const res = await upsert([{ [key]: '1' }], [key]);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect((await call('GET', `/docs/${doc.docId}/tables/${ids().table}/rows`)).status).toBe(200);
    clock += 10_000;
    expect((await upsert([{ [key]: '1' }], [key])).status).toBe(202);
  });

  it('stops a storm on clearFaults', async () => {
    const { key } = ids();
    sandbox.control.injectFaults({ status: 500 });
    expect((await upsert([{ [key]: '1' }], [key])).status).toBe(500);
    sandbox.control.clearFaults();
    expect((await upsert([{ [key]: '1' }], [key])).status).toBe(202);
  });

  it('does not apply a write answered by a fault', async () => {
    const { key, table } = ids();
    sandbox.control.injectFaults({ status: 502, count: 1 });
    await upsert([{ [key]: '1' }], [key]);
    sandbox.control.flush();
    expect(sandbox.control.rows(table)).toHaveLength(0);
  });
});

describe('observability', () => {
  it('counts write calls, logs their times and records rows per upsert', async () => {
    const { key } = ids();
    await upsert([{ [key]: '1' }, { [key]: '2' }, { [key]: '3' }], [key]);
    clock += 1_000;
    await upsert([{ [key]: '4' }], [key]);
    const stats = sandbox.control.stats();
    expect(stats.writeCalls).toBe(2);
    expect(stats.acceptedWrites).toBe(2);
    expect(stats.rowsPerUpsert).toEqual([3, 1]);
    expect(stats.writeLog.map((e) => e.at)).toEqual([1_700_000_000_000, 1_700_000_001_000]);
    expect(stats.writeLog[0]).toMatchObject({ method: 'POST', status: 202, rows: 3 });
  });

  it('computes the peak of write calls in any 6 s window', async () => {
    const { key } = ids();
    for (let i = 0; i < 12; i += 1) {
      await upsert([{ [key]: String(i) }], [key]);
      clock += 1_000;
    }
    // 12 calls one second apart: any 6 s window holds 6 of them.
    expect(sandbox.control.peakWritesPerWindow()).toBe(6);
    expect(sandbox.control.peakWritesPerWindow(6_000, { acceptedOnly: true })).toBe(6);
  });

  it('counts refused writes too, and peak with acceptedOnly leaves them out', async () => {
    const { key } = ids();
    for (let i = 0; i < 12; i += 1) await upsert([{ [key]: String(i) }], [key]);
    expect(sandbox.control.stats().writeCalls).toBe(12);
    expect(sandbox.control.peakWritesPerWindow()).toBe(12);
    expect(sandbox.control.peakWritesPerWindow(6_000, { acceptedOnly: true })).toBe(10);
  });
});
