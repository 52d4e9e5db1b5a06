import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_FAILURE_LOG_FILTER } from '../../../constructs/monitoring.js';
import { syncAll, syncResource, type SyncDeps } from '../../../sync/drchrono/sync.js';
import { createTestDatabase, type TestDatabase } from '../../harness/database.js';
import { startHarness, type Harness } from '../drchrono/helpers.js';

const TZ = 'America/New_York';
/** Enough patients that appointments span four pages of DrChrono's 250 (the resilience tests need a walk of several pages). */
const PATIENTS = 330;
let t: TestDatabase;
let h: Harness;

beforeAll(async () => {
  t = await createTestDatabase();
  h = await startHarness({ patientCount: PATIENTS, seed: 11 });
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
const count = async (table: string, where = 'true') =>
  Number((await t.sql.unsafe(`SELECT count(*) AS n FROM ${table} WHERE ${where}`))[0]!.n);

/** Every id DrChrono lists for a resource (walking the sandbox's own pages, uncounted by our client). */
function sandboxIds(
  resource: 'patients' | 'appointments' | 'medications' | 'problems' | 'allergies' | 'clinical_notes',
  filter: (r: Record<string, unknown>) => boolean = () => true,
): string[] {
  const ids: string[] = [];
  const total = resource === 'patients' ? PATIENTS : h.sandbox.control.dataset.slotCount(resource);
  for (let i = 0; i < total; i++) {
    const record =
      resource === 'patients'
        ? h.sandbox.control.get('patients', 1_000_000 + i)
        : h.sandbox.control.dataset.child(resource, i);
    if (record && filter(record) && (resource === 'patients' || h.sandbox.control.get(resource, String(record['id']))))
      ids.push(String(record['id']));
  }
  return ids.sort();
}

describe('full sync', () => {
  it('brings every resource into Postgres with one sync_log row per resource', async () => {
    const progress: string[] = [];
    const results = await syncAll(deps({ onProgress: (p) => progress.push(p.resource) }), 'full');
    expect(results.map((r) => r.resource)).toEqual([
      'doctors',
      'patients',
      'appointments',
      'clinical_notes',
      'medications',
      'problems',
      'allergies',
      'line_items',
      'transactions',
      'patient_payments',
      'line_item_deletions',
      'patient_payment_log',
      'lab_orders',
      'lab_tests',
      'lab_results',
    ]);
    expect(await count('patients', 'deleted_at IS NULL AND source_updated_at IS NOT NULL')).toBe(PATIENTS);
    expect((await t.sql`SELECT drchrono_id FROM patients ORDER BY drchrono_id`).map((r) => r.drchrono_id)).toEqual(
      sandboxIds('patients'),
    );
    for (const resource of ['appointments', 'medications', 'problems', 'allergies'] as const) {
      expect(await count(resource), resource).toBe(results.find((r) => r.resource === resource)!.seen);
    }
    expect(await count('clinical_notes', 'locked')).toBe(await count('clinical_notes'));
    expect(await count('insurance_records')).toBeGreaterThan(20);
    expect(await count('sync_log', `kind = 'full' AND status = 'succeeded'`)).toBe(15);
    expect(progress).toContain('patients');
  });

  it('writes nothing on a second full run of unchanged data', async () => {
    const outbox = await count('outbox');
    const results = await syncAll(deps(), 'full');
    expect(results.every((r) => r.changed === 0)).toBe(true);
    expect(await count('outbox')).toBe(outbox);
  });
});

describe('incremental sync', () => {
  it("reads only what changed since the last cursor and refreshes that patient's medications", async () => {
    h.time.advance(60 * 60_000);
    h.sandbox.control.update('patients', 1_000_005, { first_name: 'Changedname' });
    const before = h.sandbox.control.callsUsed();
    const results = await syncAll(deps(), 'incremental');
    const patients = results.find((r) => r.resource === 'patients' && r.kind === 'incremental')!;
    expect(patients.seen).toBe(1);
    expect(patients.changed).toBeGreaterThanOrEqual(1);
    expect(results.filter((r) => r.kind === 'patient_refresh').map((r) => r.resource)).toEqual([
      'medications',
      'problems',
      'allergies',
    ]);
    const [row] = await t.sql`SELECT first_name FROM patients WHERE drchrono_id = '1000005'`;
    expect(row!.first_name).toBe('Changedname');
    // doctors + 3 since-resources + 3 per-patient lists for the one changed patient, and billing: 3 polled resources
    // (transactions and payments have no webhooks) + the 2 deletion logs, and labs: lab_orders by `since` (no order
    // changed, so no tests or results are re-read)
    expect(h.sandbox.control.callsUsed() - before).toBe(13);
  });
});

describe('resilience', () => {
  it('survives the access token expiring between pages: one refresh, no page lost', async () => {
    await t.sql`DELETE FROM outbox`;
    const refreshes = h.sandbox.control.refreshCount();
    let expired = false;
    const result = await syncResource(
      deps({
        onProgress: () => {
          if (!expired) {
            expired = true;
            h.sandbox.control.expireAccessTokens();
          }
        },
      }),
      'appointments',
      'full',
    );
    expect(h.sandbox.control.refreshCount()).toBe(refreshes + 1);
    expect(result.seen).toBe(await count('appointments'));
    expect(result.apiCalls).toBeGreaterThan(1);
  });

  it('waits for the next hour on 429 and resumes without duplicates', async () => {
    h.time.advance(60 * 60_000 - (h.time.clock() % (60 * 60_000)));
    h.sandbox.control.setHourlyCallBudget(2);
    const sleepsBefore = h.time.sleeps.length;
    const result = await syncResource(deps(), 'appointments', 'full');
    h.sandbox.control.setHourlyCallBudget(500);
    expect(h.time.sleeps.length).toBeGreaterThan(sleepsBefore);
    expect(result.seen).toBe(await count('appointments'));
    const [{ dups }] =
      (await t.sql`SELECT count(*) - count(DISTINCT drchrono_id) AS dups FROM appointments`) as unknown as [
        { dups: string },
      ];
    expect(Number(dups)).toBe(0);
  });

  it('leaves a page that fails in the database entirely unapplied and records the failure in sync_log', async () => {
    const fresh = await createTestDatabase();
    try {
      // One bad record on the first page (patients 0..49 at the verbose cap of 50) fails that page's transaction:
      // none of its patients may be written. (The next page may be applied concurrently; it is not the one failing.)
      // The constraint is one the schema does not declare, so the value normaliser cannot clean the record first.
      await fresh.sql`ALTER TABLE patients ADD CONSTRAINT test_refuse_1000020 CHECK (drchrono_id <> '1000020') NOT VALID`;
      const d = { ...deps(), sql: fresh.sql, client: h.instance(fresh.sql).client };
      await expect(syncResource(d, 'patients', 'full')).rejects.toThrow(/test_refuse_1000020/);
      const firstPage = `drchrono_id::bigint BETWEEN 1000000 AND 1000049`;
      expect(
        Number(
          (
            await fresh.sql.unsafe(
              `SELECT count(*) AS n FROM patients WHERE source_updated_at IS NOT NULL AND ${firstPage}`,
            )
          )[0]!.n,
        ),
      ).toBe(0);
      expect(
        Number(
          (
            await fresh.sql.unsafe(`SELECT count(*) AS n FROM outbox WHERE table_name = 'patients' AND ${firstPage}`)
          )[0]!.n,
        ),
      ).toBe(0);
      const [log] = await fresh.sql`SELECT status, error_class FROM sync_log WHERE resource = 'patients'`;
      expect(log).toMatchObject({ status: 'failed', error_class: 'PostgresError' });
      // The sync-failure alert counts log lines matching its filter: this failure must produce one.
      const [, severity, event] = /severity>=(\w+) AND jsonPayload\.event="([^"]+)"/.exec(SYNC_FAILURE_LOG_FILTER)!;
      const failures = h.logs
        .map((l) => JSON.parse(l) as { severity: string; event?: string; resource?: string })
        .filter((l) => l.event === event && l.resource === 'patients');
      expect(failures.map((l) => l.severity)).toEqual([severity]);
    } finally {
      await fresh.drop();
    }
  });

  it('stores a record with values Postgres cannot hold (bad CHECK value, impossible date and time, NUL) with those columns nulled or cleaned', async () => {
    const fresh = await createTestDatabase();
    const original = h.sandbox.control.get('patients', 1_000_020)!;
    try {
      h.sandbox.control.update('patients', 1_000_020, {
        patient_status: 'X',
        date_of_birth: '2026-02-30',
        updated_at: '2026-13-40T25:61',
        city: 'Nul\u0000ville',
      });
      const d = { ...deps(), sql: fresh.sql, client: h.instance(fresh.sql).client };
      const result = await syncResource(d, 'patients', 'full');
      // patients: status, date of birth, updated_at, city and raw's NUL; insurance_records: its updated_at.
      expect(result.valueWarnings).toBe(6);
      const [row] =
        await fresh.sql`SELECT patient_status, date_of_birth, source_updated_at, city FROM patients WHERE drchrono_id = '1000020'`;
      expect(row).toEqual({
        patient_status: null,
        date_of_birth: null,
        source_updated_at: null,
        city: 'Nul\uFFFDville',
      });
    } finally {
      h.sandbox.control.update('patients', 1_000_020, {
        patient_status: 'A',
        date_of_birth: original['date_of_birth'],
        updated_at: original['updated_at'],
        city: original['city'],
      });
      await fresh.drop();
    }
  });
});

describe('deep reconcile', () => {
  it('soft-deletes a record DrChrono no longer returns, with a delete event', async () => {
    await syncResource(deps(), 'patients', 'full');
    h.sandbox.control.remove('patients', 1_000_007);
    const result = await syncResource(deps(), 'patients', 'deep_reconcile');
    expect(result.deleted).toBe(1);
    const [row] = await t.sql`SELECT deleted_at FROM patients WHERE drchrono_id = '1000007'`;
    expect(row!.deleted_at).not.toBeNull();
    expect(await count('outbox', `table_name = 'patients' AND drchrono_id = '1000007' AND op = 'delete'`)).toBe(1);
    expect(await count('patients', 'deleted_at IS NOT NULL')).toBe(1);
  });
});
