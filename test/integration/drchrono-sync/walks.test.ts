import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { budgetCommand } from '../../../cli/commands/budget.js';
import { syncAll, syncResource, type SyncDeps } from '../../../sync/drchrono/sync.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { startHarness, type Harness } from '../drchrono/helpers.js';

// Full and deep walks that outlive their hour's budget or their process resume where they stopped (sync_walks), and
// the incremental cycle's per-patient refresh is bounded (patient_refresh_queue).

const TZ = 'America/New_York';
let t: TestDatabase;
let h: Harness;

beforeAll(async () => {
  t = await createTestDatabase();
  h = await startHarness({ patientCount: 700, seed: 5 });
  await h.seedTokens();
});
afterAll(async () => {
  await h.close();
  await t.drop();
});

const deps = (extra: Partial<SyncDeps> = {}): SyncDeps => ({
  sql: t.sql,
  client: h.instance(t.sql).client,
  logger: h.logger,
  timeZone: TZ,
  clock: h.time.clock,
  ...extra,
});

describe('resumable walks', () => {
  it('a full walk that fails on its third page resumes from that page on the next run', async () => {
    // The third page and every retry of it fail (the client retries 5xx), as in an outage.
    let calls = 0;
    h.sandbox.control.failMatching((url) => url.pathname === '/api/patients' && ++calls >= 3, {
      status: 500,
      times: 1000,
    });
    await expect(syncResource(deps(), 'patients', 'full')).rejects.toThrow();
    h.sandbox.control.clearFaults();
    const [open] =
      await t.sql`SELECT pages, records_seen, next_url FROM sync_walks WHERE resource = 'patients' AND finished_at IS NULL`;
    expect(open).toMatchObject({ pages: 2, records_seen: 100 });
    expect(open!.next_url).toContain('cursor=');

    // On-call asks where the budget goes and when the walk will be done.
    let out = '';
    const code = await budgetCommand(
      [],
      { env: { DATABASE_URL: t.url }, stdout: (text) => (out += text), stderr: (text) => (out += text) },
      h.time.clock,
    );
    expect(code).toBe(0);
    expect(out).toMatch(/DrChrono calls this hour \(.*\): \d+ of 480/);
    expect(out).toMatch(/^ {2}full\s+\d+$/m);
    expect(out).toContain('Shares per hour: background walks 190, incremental cycles 190 kept, webhooks 100 kept');
    expect(out).toMatch(/Walk full patients: 2 pages, 100 records since .*; size unknown \(an initial sync/);

    const before = h.sandbox.control.apiRequestCount();
    const result = await syncResource(deps(), 'patients', 'full');
    // 700 patients at 50 per verbose page = 14 pages; 2 were applied before the failure.
    expect(h.sandbox.control.apiRequestCount() - before).toBe(12);
    expect(result.seen).toBe(700);
    expect(
      Number((await t.sql`SELECT count(*)::int AS n FROM patients WHERE source_updated_at IS NOT NULL`)[0]!.n),
    ).toBe(700);
    expect((await t.sql`SELECT count(*)::int AS n FROM sync_walks WHERE finished_at IS NULL`)[0]!.n).toBe(0);
  });

  it('a deep walk resumed after a failure still soft-deletes exactly what DrChrono dropped', async () => {
    await syncResource(deps(), 'appointments', 'full');
    const gone = String(h.sandbox.control.find('appointments', { since: '1970-01-01' }).at(-1)!['id']);
    // DrChrono keeps deleted appointments listed with deleted_flag; a record that vanished outright is the case here.
    await t.sql`INSERT INTO appointments (drchrono_id, raw, source_updated_at) VALUES ('vanished-1', '{}', now())`;
    let calls = 0;
    h.sandbox.control.failMatching((url) => url.pathname === '/api/appointments' && ++calls >= 2, {
      status: 500,
      times: 1000,
    });
    await expect(syncResource(deps(), 'appointments', 'deep_reconcile')).rejects.toThrow();
    h.sandbox.control.clearFaults();
    // Postgres knows how many appointments there are, so the forecast has a size and a finish time.
    let out = '';
    await budgetCommand(
      [],
      { env: { DATABASE_URL: t.url }, stdout: (x) => (out += x), stderr: (x) => (out += x) },
      h.time.clock,
    );
    expect(out).toMatch(
      /Walk deep_reconcile appointments: 1 pages, 250 of ~\d+ records since .*; ~\d+ calls left, finishes by /,
    );
    const result = await syncResource(deps(), 'appointments', 'deep_reconcile');
    expect(result.deleted).toBe(1);
    const [row] = await t.sql`SELECT deleted_at FROM appointments WHERE drchrono_id = 'vanished-1'`;
    expect(row!.deleted_at).not.toBeNull();
    const [kept] = await t.sql`SELECT deleted_at FROM appointments WHERE drchrono_id = ${gone}`;
    expect(kept!.deleted_at).toBeNull();
    expect((await t.sql`SELECT count(*)::int AS n FROM sync_walk_seen`)[0]!.n).toBe(0);
  });
});

describe('bounded per-patient refresh', () => {
  it('re-reads at most the configured number of changed patients per cycle and queues the rest', async () => {
    await syncAll(deps(), 'full');
    h.time.advance(60 * 60_000);
    for (let i = 0; i < 7; i++) h.sandbox.control.update('patients', 1_000_000 + i, { nick_name: `n${i}` });
    const results = await syncAll(deps({ patientRefreshesPerCycle: 3 }), 'incremental');
    const refreshed = results.filter((r) => r.kind === 'patient_refresh');
    expect(refreshed.map((r) => r.resource)).toEqual(['medications', 'problems', 'allergies']);
    expect(refreshed.reduce((sum, r) => sum + r.apiCalls, 0)).toBe(9); // 3 patients × 3 lists
    expect((await t.sql`SELECT count(*)::int AS n FROM patient_refresh_queue`)[0]!.n).toBe(4);
    h.time.advance(15 * 60_000);
    await syncAll(deps({ patientRefreshesPerCycle: 3 }), 'incremental');
    expect((await t.sql`SELECT count(*)::int AS n FROM patient_refresh_queue`)[0]!.n).toBe(1);
    // The nightly deep walk re-reads everyone: what was queued before it is dropped.
    h.time.advance(15 * 60_000);
    await syncAll(deps(), 'deep_reconcile');
    expect((await t.sql`SELECT count(*)::int AS n FROM patient_refresh_queue`)[0]!.n).toBe(0);
  });
});
