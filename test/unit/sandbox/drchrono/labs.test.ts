import { describe, expect, it } from 'vitest';
import { drchronoLabPageCaps } from '../../../../contract/drchrono-api.js';
import { drchronoLabResources } from '../../../../contract/drchrono-resources.js';
import type { DrChronoLabResource } from '../../../../contract/drchrono-resources.js';
import { SandboxRecordNotFoundError } from '../../../../sandbox/drchrono/index.js';
import { sandboxWithClock, walk } from './helpers.js';

type Row = Record<string, unknown>;
const BASE = 'http://sandbox.test';

/** Field names of the schema's LabOrder, LabTest and LabResult (DrChrono OpenAPI v4), nothing more. */
const SCHEMA_FIELDS: Record<DrChronoLabResource, string[]> = {
  lab_orders: [
    'id',
    'patient',
    'doctor',
    'sublab',
    'status',
    'priority',
    'icd10_codes',
    'requisition_id',
    'external_requisition_id',
    'accession_number',
    'notes',
    'timestamp',
    'documents',
  ],
  lab_tests: [
    'id',
    'lab_order',
    'name',
    'code',
    'description',
    'status',
    'collection_date',
    'specimen_source',
    'specimen_condition',
    'specimen_total_volume',
    'internal_notes',
    'report_notes',
  ],
  lab_results: [
    'id',
    'lab_test',
    'lab_order',
    'document',
    'test_performed',
    'observation_code',
    'observation_description',
    'group_code',
    'value',
    'value_is_numeric',
    'unit',
    'normal_range',
    'abnormal_status',
    'is_abnormal',
    'status',
    'specimen_received',
    'comments',
  ],
};

async function all(get: (path: string) => Promise<Response>, resource: string, query = ''): Promise<Row[]> {
  const pages = await walk(get, `${BASE}/api/${resource}?page_size=250${query ? `&${query}` : ''}`);
  return pages.flatMap((p) => p.results);
}

describe('DrChrono sandbox lab endpoints', () => {
  for (const resource of drchronoLabResources) {
    it(`walks every ${resource} record exactly once, pages at most ${drchronoLabPageCaps[resource].max}, schema fields only`, async () => {
      const s = sandboxWithClock({ patientCount: 800 });
      const pages = await walk(s.get, `${BASE}/api/${resource}?page_size=1000`);
      const rows = pages.flatMap((p) => p.results);
      const ids = rows.map((r) => r['id']);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(s.control.count(resource));
      expect(ids.length).toBeGreaterThan(drchronoLabPageCaps[resource].max);
      expect(pages[0]!.results).toHaveLength(drchronoLabPageCaps[resource].max);
      for (const row of rows) expect(Object.keys(row).sort()).toEqual([...SCHEMA_FIELDS[resource]].sort());
      const detail = (await (await s.get(`/api/${resource}/${String(rows[7]!['id'])}`)).json()) as Row;
      expect(detail).toEqual(rows[7]);
      expect((await s.get(`/api/${resource}/999`)).status).toBe(404);
    });
  }

  it('types ids and links as the schema does: result lab_order a string, lab_test an integer; values are strings', async () => {
    const s = sandboxWithClock({ patientCount: 60 });
    const results = await all(s.get, 'lab_results');
    const tests = new Map((await all(s.get, 'lab_tests')).map((t) => [t['id'], t]));
    for (const r of results) {
      expect(typeof r['lab_order']).toBe('string');
      expect(typeof r['lab_test']).toBe('number');
      expect(typeof r['value']).toBe('string');
      expect(['true', 'false']).toContain(r['is_abnormal']);
      expect(String(tests.get(r['lab_test'])!['lab_order'])).toBe(r['lab_order']);
    }
  });

  it('filters tests and results by order= from the order’s own slots, matching a full walk', async () => {
    const s = sandboxWithClock({ patientCount: 120 });
    const tests = await all(s.get, 'lab_tests');
    const results = await all(s.get, 'lab_results');
    const orders = await all(s.get, 'lab_orders');
    for (const order of orders.slice(0, 15)) {
      const id = String(order['id']);
      expect(await all(s.get, 'lab_tests', `order=${id}`)).toEqual(tests.filter((t) => String(t['lab_order']) === id));
      expect(await all(s.get, 'lab_results', `order=${id}`)).toEqual(results.filter((r) => r['lab_order'] === id));
    }
    expect(await all(s.get, 'lab_results', 'order=1')).toEqual([]);
    expect((await s.get('/api/lab_tests?order=abc')).status).toBe(400);
  });

  it('answers order= on a million-patient sandbox in one request within a small scan budget', async () => {
    const s = sandboxWithClock({ patientCount: 1_000_000, scanBudget: 1000 });
    const deep = [...Array(1000).keys()]
      .map((k) => 999_000 + k)
      .find((i) => s.control.get('lab_orders', 60_000_000 + i));
    expect(deep).toBeDefined();
    const orderId = 60_000_000 + deep!;
    const before = s.control.apiRequestCount();
    const page = (await (await s.get(`/api/lab_tests?order=${orderId}&page_size=250`)).json()) as {
      next: string | null;
      results: Row[];
    };
    expect(s.control.apiRequestCount() - before).toBe(1);
    expect(page.next).toBeNull();
    expect(page.results.length).toBeGreaterThan(0);
    for (const t of page.results) expect(t['lab_order']).toBe(orderId);
  });

  it('filters by doctor through the order (tests and results carry no doctor); ignores patient and since on children', async () => {
    const s = sandboxWithClock({ patientCount: 120 });
    const orders = await all(s.get, 'lab_orders');
    const doctorOf = new Map(orders.map((o) => [String(o['id']), o['doctor']]));
    const doctor = Number(orders[0]!['doctor']);
    const mine = await all(s.get, 'lab_orders', `doctor=${doctor}`);
    expect(mine).toEqual(orders.filter((o) => o['doctor'] === doctor));
    const results = await all(s.get, 'lab_results');
    expect(await all(s.get, 'lab_results', `doctor=${doctor}`)).toEqual(
      results.filter((r) => doctorOf.get(String(r['lab_order'])) === doctor),
    );
    const tests = await all(s.get, 'lab_tests');
    expect(await all(s.get, 'lab_tests', `doctor=${doctor}`)).toEqual(
      tests.filter((t) => doctorOf.get(String(t['lab_order'])) === doctor),
    );
    expect(await all(s.get, 'lab_orders', 'patient=1000000')).toEqual(orders);
    expect(await all(s.get, 'lab_results', 'since=2030-01-01&patient=1')).toEqual(results);
    expect((await s.get('/api/lab_results?doctor=x')).status).toBe(400);
  });

  it('filters orders by since against their modification time; control mutations make them visible', async () => {
    const s = sandboxWithClock({ patientCount: 80 });
    const orders = await all(s.get, 'lab_orders');
    expect(orders.length).toBeGreaterThan(0);
    expect(await all(s.get, 'lab_orders', 'since=2000-01-01')).toEqual(orders);
    const now = s.control.nowTimestamp();
    expect(await all(s.get, 'lab_orders', `since=${now}`)).toEqual([]);

    const changed = s.control.update('lab_orders', orders[3]!['id'] as number, { status: 'E' });
    const created = s.control.create('lab_orders', { patient: 1_000_001, doctor: 201, notes: '' });
    expect(created['timestamp']).toBe(now);
    expect(created['requisition_id']).toBe(String(created['id']));
    expect(created).not.toHaveProperty('_modified');
    const since = await all(s.get, 'lab_orders', `since=${now}`);
    expect(since.map((o) => o['id'])).toEqual([changed['id'], created['id']]);
    expect(since[0]).toMatchObject({ status: 'E', timestamp: orders[3]!['timestamp'] });
    expect((await s.get('/api/lab_orders?since=yesterday')).status).toBe(400);
  });

  it('creates tests and results under an order; a deleted order takes its tests and results along', async () => {
    const s = sandboxWithClock({ patientCount: 80 });
    const order = s.control.create('lab_orders', { patient: 1_000_002, doctor: 202 });
    const test = s.control.create('lab_tests', { lab_order: order['id'], name: 'Lithium, serum', status: 'F' });
    const result = s.control.create('lab_results', { lab_test: test['id'], value: '1.9', abnormal_status: 'HH' });
    expect(result['lab_order']).toBe(String(order['id']));
    expect(await all(s.get, 'lab_tests', `order=${String(order['id'])}`)).toEqual([test]);
    expect(await all(s.get, 'lab_results', `order=${String(order['id'])}`)).toEqual([result]);
    expect(() => s.control.create('lab_tests', { lab_order: 1 })).toThrow(SandboxRecordNotFoundError);
    expect(() => s.control.create('lab_results', { lab_test: 1 })).toThrow(SandboxRecordNotFoundError);

    const generated = (await all(s.get, 'lab_results'))[0]!;
    const orderId = generated['lab_order'] as string;
    const counts = () => drchronoLabResources.map((r) => s.control.count(r));
    const [orders, tests, results] = counts();
    const ownTests = (await all(s.get, 'lab_tests', `order=${orderId}`)).length;
    const ownResults = (await all(s.get, 'lab_results', `order=${orderId}`)).length;
    s.control.remove('lab_orders', orderId);
    expect(counts()).toEqual([orders! - 1, tests! - ownTests, results! - ownResults]);
    expect(await all(s.get, 'lab_results', `order=${orderId}`)).toEqual([]);
    expect((await s.get(`/api/lab_results/${String(generated['id'])}`)).status).toBe(404);
    expect(s.control.get('lab_results', generated['id'] as number)).toBeNull();
    expect(() => s.control.update('lab_orders', orderId, { status: 'R' })).toThrow(SandboxRecordNotFoundError);
  });

  it('pages a filtered list with small pages: every record once, previous leads back', async () => {
    const s = sandboxWithClock({ patientCount: 200 });
    const everything = await all(s.get, 'lab_results');
    const pages = await walk(s.get, `${BASE}/api/lab_results?page_size=7`);
    expect(pages.flatMap((p) => p.results)).toEqual(everything);
    const back = (await (await s.get(pages[2]!.previous!)).json()) as { results: Row[] };
    expect(back.results).toEqual(pages[1]!.results);
    expect((await s.get('/api/lab_orders?cursor=%%%')).status).toBe(400);
  });

  it('is deterministic by seed', async () => {
    const a = sandboxWithClock({ patientCount: 50, seed: 7 });
    const b = sandboxWithClock({ patientCount: 50, seed: 7 });
    const c = sandboxWithClock({ patientCount: 50, seed: 8 });
    for (const resource of drchronoLabResources) {
      const rows = await all(a.get, resource);
      expect(await all(b.get, resource)).toEqual(rows);
      expect(await all(c.get, resource)).not.toEqual(rows);
    }
  });
});
