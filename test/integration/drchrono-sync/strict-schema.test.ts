import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insuranceRanks } from '../../../sync/drchrono/mappers.js';
import { syncPageSize, syncVerbose } from '../../../sync/drchrono/list-params.js';
import { refreshPatients, syncAll, syncOrder, type SyncDeps } from '../../../sync/drchrono/sync.js';
import { drchronoLabResources, drchronoResources, type DrChronoResource } from '../../../sync/drchrono/types.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { startHarness, type Harness } from '../drchrono/helpers.js';

// The sync against a sandbox that serves by DrChrono's published schema: verbose-only fields only on request, notes
// locked by `signee.locked_by` (no `locked`), small pages unless `page_size` is sent, lower caps with `verbose`.

const TZ = 'America/New_York';
const PATIENTS = 150;
let t: TestDatabase;
let h: Harness;
let requests: URL[] = [];

/** Every request the client sends, recorded before it reaches the sandbox. */
const recordingFetch: typeof fetch = (input, init) => {
  requests.push(new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url));
  return fetch(input, init);
};
const listRequests = () => requests.filter((u) => /^\/api\/[a-z_]+\/?$/.test(u.pathname));
const resourceOf = (u: URL) => u.pathname.split('/')[2] as DrChronoResource;

beforeAll(async () => {
  t = await createTestDatabase();
  h = await startHarness({ patientCount: PATIENTS, seed: 5 });
  await h.seedTokens();
});
afterAll(async () => {
  await h.close();
  await t.drop();
});

const deps = (): SyncDeps => ({
  sql: t.sql,
  client: h.instance(t.sql, { fetch: recordingFetch }).client,
  logger: h.logger,
  timeZone: TZ,
  clock: h.time.clock,
});
const rows = (query: string) => t.sql.unsafe(query);

/** Every record the sandbox serves for a child resource, as its (verbose) serializer gives it. */
function sandboxRecords(resource: 'clinical_notes' | 'allergies'): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let slot = 0; slot < h.sandbox.control.dataset.slotCount(resource); slot++) {
    const generated = h.sandbox.control.dataset.child(resource, slot);
    const record = generated ? h.sandbox.control.get(resource, String(generated['id'])) : null;
    if (record) out.push(record);
  }
  return out;
}

describe('full sync against the schema-strict sandbox', () => {
  let apiCalls = 0;

  beforeAll(async () => {
    requests = [];
    const results = await syncAll(deps(), 'full');
    apiCalls = results.reduce((sum, r) => sum + r.apiCalls, 0);
  });

  it("stores every patient's coverage from the verbose-only insurance objects", async () => {
    const expected: string[] = [];
    for (let i = 0; i < PATIENTS; i++) {
      const patient = h.sandbox.control.get('patients', 1_000_000 + i)!;
      for (const rank of insuranceRanks) {
        const ins = patient[`${rank}_insurance`] as Record<string, unknown>;
        if (ins['insurance_company'] || ins['insurance_id_number'])
          expected.push(`${patient['id']}:${rank}:${String(ins['insurance_id_number'])}`);
      }
    }
    const stored = await rows(
      `SELECT drchrono_id || ':' || insurance_id_number AS k FROM insurance_records WHERE deleted_at IS NULL`,
    );
    expect(expected.length).toBeGreaterThan(PATIENTS);
    expect(stored.map((r) => r['k'] as string).sort()).toEqual(expected.sort());
  });

  it('stores allergies with their verbose-only description', async () => {
    const allergies = sandboxRecords('allergies');
    const withDescription = allergies.filter((a) => typeof a['description'] === 'string' && a['description'] !== '');
    expect(withDescription.length).toBeGreaterThan(0);
    const stored = new Map(
      (await rows(`SELECT drchrono_id, description FROM allergies`)).map((r) => [
        r['drchrono_id'] as string,
        r['description'],
      ]),
    );
    expect(stored.size).toBe(allergies.length);
    for (const a of withDescription) expect(stored.get(String(a['id'])), String(a['id'])).toBe(a['description']);
  });

  it("stores every note locked by signee.locked_by (the schema's note has no locked field)", async () => {
    const notes = sandboxRecords('clinical_notes');
    expect(notes.every((n) => !('locked' in n))).toBe(true);
    const locked = notes
      .filter((n) => (n['signee'] as { locked_by?: unknown } | null)?.locked_by != null)
      .map((n) => String(n['id']))
      .sort();
    expect(locked.length).toBeGreaterThan(0);
    expect(locked.length).toBeLessThan(notes.length);
    const stored = await rows(
      `SELECT drchrono_id, locked_by FROM clinical_notes WHERE locked AND deleted_at IS NULL ORDER BY drchrono_id`,
    );
    expect(stored.map((r) => r['drchrono_id'])).toEqual(locked);
    expect(stored.every((r) => r['locked_by'] !== null)).toBe(true);
    // appointments are read without verbose; their clinical_note_locked comes from the stored notes
    const [{ n }] =
      (await rows(`SELECT count(*)::int AS n FROM clinical_notes c JOIN appointments a ON a.drchrono_id = c.appointment
                                WHERE c.locked AND a.clinical_note_locked IS NOT TRUE`)) as unknown as [{ n: number }];
    expect(n).toBe(0);
  });

  it('sends page_size on every list call, verbose only where a mapped field needs it', () => {
    const lists = listRequests();
    expect(lists.length).toBeGreaterThan(0);
    for (const url of lists) {
      const resource = resourceOf(url);
      // the first page carries the sync's query; `next` links carry it on, as DrChrono builds them from the request
      expect(url.searchParams.get('page_size'), url.pathname).toBe(String(syncPageSize(resource)));
      expect(url.searchParams.get('verbose') === 'true', url.pathname).toBe(syncVerbose[resource]);
    }
  });

  it('makes at most 10 % more calls than the page caps allow at minimum', () => {
    const minimum = [...syncOrder, ...drchronoLabResources].reduce(
      (sum, resource) => sum + Math.max(1, Math.ceil(h.sandbox.control.count(resource) / syncPageSize(resource))),
      0,
    );
    const calls = requests.filter((u) => u.pathname.startsWith('/api/')).length;
    expect(calls).toBe(apiCalls);
    expect(calls).toBeGreaterThanOrEqual(minimum);
    expect(calls).toBeLessThanOrEqual(Math.floor(1.1 * minimum));
  });
});

describe('per-patient refresh against the schema-strict sandbox', () => {
  it('sends page_size (and verbose for allergies) on the per-patient lists too', async () => {
    requests = [];
    await refreshPatients(deps(), ['1000003']);
    const lists = listRequests();
    expect(lists.map(resourceOf)).toEqual(['medications', 'problems', 'allergies']);
    for (const url of lists) {
      expect(url.searchParams.get('patient')).toBe('1000003');
      expect(url.searchParams.get('page_size')).toBe(String(syncPageSize(resourceOf(url))));
    }
    expect(lists[2]!.searchParams.get('verbose')).toBe('true');
    expect(drchronoResources.length).toBe(syncOrder.length);
  });
});
