import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sql } from 'postgres';
import type { RunningDrChronoSandbox } from '../sandbox/drchrono/index.js';
import { mapRecords, tableOf } from '../sync/drchrono/mappers.js';
import { syncBilling, syncResource } from '../sync/drchrono/sync.js';
import type { DrChronoRecord } from '../sync/drchrono/types.js';
import { round, type BenchResult } from './harness.js';
import { BENCH_TIME_ZONE, withSandboxSync } from './sandbox-sync.js';

// Billing: (1) the full sync of line items, postings and payments — with their audit triggers, outbox rows and the
// in-transaction claim/reconciliation recompute — against COPY of the same mapped rows into trigger-less copies;
// (2) the DrChrono calls one incremental cycle spends on billing after a working day of billing activity, and in a
// steady 15-minute cycle. Calls depend on activity only (everything is polled by `since`), not on practice size.

const PATIENTS = Number(process.env.BENCH_BILLING_PATIENTS ?? 10_000);
const TZ = BENCH_TIME_ZONE;
const HOURLY_BUDGET = 500;
/** A working day: 8 h × 4 cycles × 40 billing postings per 15 min (issue 16's practice profile). */
const DAY = { lineItems: 400, postings: 600, payments: 280, lineItemDeletions: 20, paymentDeletions: 10 };
const CYCLE = { lineItems: 12, postings: 20, payments: 8 };
const BILLING = ['line_items', 'transactions', 'patient_payments'] as const;

async function copyYardstick(sql: Sql, sandbox: RunningDrChronoSandbox): Promise<{ seconds: number; rows: number }> {
  const csv = (v: unknown) =>
    v === null || v === undefined
      ? ''
      : Array.isArray(v)
        ? `"{${v.map((x) => `""${String(x)}""`).join(',')}}"`
        : `"${(typeof v === 'object' ? JSON.stringify(v) : String(v)).replaceAll('"', '""')}"`;
  const pages = BILLING.map((resource) => {
    const records = sandbox.control.find(resource) as DrChronoRecord[];
    return { resource, table: tableOf[resource], records };
  });
  for (const { table } of pages) await sql.unsafe(`CREATE TABLE ${table}_copy (LIKE ${table} INCLUDING DEFAULTS)`);
  let rows = 0;
  const started = performance.now();
  for (const { resource, table, records } of pages) {
    const mapped = mapRecords(resource, records, { timeZone: TZ })[table]! as Record<string, unknown>[];
    if (mapped.length === 0) continue;
    const columns = Object.keys(mapped[0]!);
    const writable = await sql`COPY ${sql(`${table}_copy`)} (${sql(columns)}) FROM STDIN WITH (FORMAT csv)`.writable();
    await pipeline(
      Readable.from(
        (function* () {
          for (let i = 0; i < mapped.length; i += 250)
            yield mapped
              .slice(i, i + 250)
              .map((r) => `${columns.map((c) => csv(r[c])).join(',')}\n`)
              .join('');
        })(),
      ),
      writable,
    );
    rows += mapped.length;
  }
  return { seconds: (performance.now() - started) / 1000, rows };
}

/** A day of billing work through the sandbox's control surface (what DrChrono would show the next poll). */
function simulateActivity(sandbox: RunningDrChronoSandbox, activity: typeof DAY | typeof CYCLE): void {
  const control = sandbox.control;
  const lines = control.find('line_items').slice(0, activity.lineItems + ('lineItemDeletions' in activity ? 40 : 0));
  for (const line of lines.slice(0, activity.lineItems))
    control.update('line_items', String(line['id']), { billing_status: 'Payer Acknowledged' });
  const postings = control.find('transactions').slice(0, activity.postings);
  for (const posting of postings) control.update('transactions', String(posting['id']), { trace_number: 'EFTDAY' });
  const payments = control.find('patient_payments').slice(0, activity.payments);
  for (const payment of payments) control.update('patient_payments', String(payment['id']), { notes: 'posted' });
  if ('lineItemDeletions' in activity) {
    for (const line of lines.slice(activity.lineItems, activity.lineItems + activity.lineItemDeletions))
      control.remove('line_items', String(line['id']));
    for (const payment of control.find('patient_payments').slice(-activity.paymentDeletions))
      control.remove('patient_payments', String(payment['id']));
  }
}

export async function benchBilling(): Promise<BenchResult> {
  return withSandboxSync(
    { patients: PATIENTS, seed: 7, startMs: Date.UTC(2026, 2, 2, 12, 0, 0) },
    async ({ sandbox, deps, advance }) => {
      const { sql } = deps;
      for (const parent of ['doctors', 'patients', 'appointments'] as const) await syncResource(deps, parent, 'full');
      const appointments = sandbox.control.count('appointments');

      const started = performance.now();
      const full = await syncBilling(deps, 'full');
      const seconds = (performance.now() - started) / 1000;
      const rows = full.filter((r) => r.kind === 'full').reduce((sum, r) => sum + r.seen, 0);
      const [derived] = await sql<{ claims: number; reconciliations: number }[]>`
        SELECT (SELECT count(*)::int FROM claim_statuses) AS claims, (SELECT count(*)::int FROM billing_reconciliations) AS reconciliations`;
      const copy = await copyYardstick(sql, sandbox);

      const cycleCalls = async (activity: typeof DAY | typeof CYCLE) => {
        // Activity early in the 15-minute window, the cycle at its end (DrChrono's `updated_at` is the clock's).
        advance(60_000);
        simulateActivity(sandbox, activity);
        advance(14 * 60_000);
        const results = await syncBilling(deps, 'incremental');
        return Object.fromEntries(
          results.map((r) => [`${r.resource}${r.kind === 'patient_refresh' ? ' (refresh)' : ''}`, r.apiCalls]),
        );
      };
      const day = await cycleCalls(DAY);
      const steady = await cycleCalls(CYCLE);
      const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
      const describe = (calls: Record<string, number>) =>
        Object.entries(calls)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
      return {
        name: `billing: full sync of ${PATIENTS.toLocaleString('en-US')} patients' billing vs COPY; DrChrono calls per incremental cycle`,
        figures: {
          patients: PATIENTS,
          appointments,
          billing_rows: rows,
          derived_rows: `${derived!.claims} claim statuses, ${derived!.reconciliations} reconciliations`,
          full_sync_seconds: round(seconds, 1),
          full_sync_rows_per_s: round(rows / seconds),
          copy_rows_per_s: round(copy.rows / copy.seconds),
          ratio_to_copy: round(copy.seconds / seconds, 3),
          full_sync_api_calls: full.reduce((sum, r) => sum + r.apiCalls, 0),
          day_of_activity: `${DAY.lineItems} line items, ${DAY.postings} postings, ${DAY.payments} payments changed; ${DAY.lineItemDeletions} + ${DAY.paymentDeletions} deleted`,
          calls_after_a_day: `${total(day)} (${describe(day)})`,
          steady_cycle_activity: `${CYCLE.lineItems} line items, ${CYCLE.postings} postings, ${CYCLE.payments} payments`,
          calls_per_15min_cycle: `${total(steady)} (${describe(steady)})`,
          share_of_hourly_budget: `${round(((total(steady) * 4) / HOURLY_BUDGET) * 100, 1)} % (4 cycles/h of ${HOURLY_BUDGET})`,
        },
      };
    },
  );
}
