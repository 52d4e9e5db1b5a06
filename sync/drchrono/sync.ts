import { mirrors } from '../mirrors.js';
import { PgValueWarnings } from '../db/pg-values.js';
import { prefetched } from '../prefetch.js';
import { utcToPracticeLocal } from '../time.js';
import type { ChangedRow } from '../upsert.js';
import { syncBillingDeletions } from './billing-deletions.js';
import { finishWalk, markSeen, openWalk, recordWalkProgress, unseenLiveIds } from './walks.js';
import { syncLabs } from './lab-sync.js';
import { inChangeTransaction } from '../db/change-transaction.js';
import { applyRecords, deleteRecords } from './apply.js';
import {
  CURSOR_OVERLAP_MS,
  lastCursor,
  logged,
  type ResourceSyncResult,
  type SyncDeps,
  type SyncKind,
  type SyncOptions,
} from './sync-log.js';
import { listQuery } from './list-params.js';
import { tableOf } from './mappers.js';
import { drchronoBillingResources, drchronoResources, sinceResources, type DrChronoResource } from './types.js';

export { SyncInProgressError } from './sync-log.js';
export { syncLabs } from './lab-sync.js';
export type { ResourceSyncResult, SyncDeps, SyncKind, SyncOptions } from './sync-log.js';

/** Order matters: parents before the records that link to them (drchronoResources is declared in that order). */
export const syncOrder: readonly DrChronoResource[] = drchronoResources;
/** Resources without `since`: refreshed per changed patient, fully in the nightly deep reconcile. */
export const perPatientResources: readonly DrChronoResource[] = ['medications', 'problems', 'allergies'];

/**
 * Pages applied concurrently, each in its own transaction: the database work of one page overlaps the next (about a
 * third faster on two cores). Rows are written in drchrono_id order, so concurrent pages lock in the same order.
 */
const PAGES_IN_FLIGHT = 2;

/**
 * Streams every page of one resource into Postgres, each page in its own transaction (a failure mid-page leaves
 * that page unapplied and earlier pages applied; re-running is idempotent). `incremental` uses `since` from the
 * last successful run where DrChrono supports it; `deep_reconcile` walks everything and then soft-deletes rows
 * DrChrono no longer returns. Full and deep walks spend only the budget's background share and keep their position
 * (sync/drchrono/walks.ts): a walk stopped by a restart or a failure resumes where it stopped on the next run.
 */
export async function syncResource(
  deps: SyncDeps,
  resource: DrChronoResource,
  kind: SyncKind,
  options: SyncOptions = {},
): Promise<ResourceSyncResult> {
  const clock = deps.clock ?? Date.now;
  return logged(deps, resource, kind, options.requestId, async () => {
    const usesSince = sinceResources.includes(resource);
    const since =
      kind === 'incremental' && usesSince ? (options.since ?? (await lastCursor(deps.sql, resource))) : options.since;
    const filters: Record<string, string> = {};
    if (since && usesSince) filters['since'] = since;
    // DrChrono lists appointments only within a date filter; `since` at the epoch means "all of them".
    if (resource === 'appointments' && !filters['since']) filters['since'] = '1970-01-01';
    const query = listQuery(resource, filters);

    const walk = kind === 'incremental' ? undefined : await openWalk(deps.sql, resource, kind, new Date(clock()));
    const runStarted = walk?.startedAt ?? new Date(clock());
    // Only an incremental run refreshes changed patients' medications etc.; a full walk must not keep every id.
    const changedPatients = kind === 'incremental' && resource === 'patients' ? new Set<string>() : undefined;
    let seen = walk?.recordsSeen ?? 0;
    let changed = 0;
    let apiCalls = 0;
    const warnings = new PgValueWarnings();
    const applying = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    // Pages commit out of order (two in flight); the walk's position only advances past pages whose predecessors are
    // applied too, so a resume never skips one.
    const pending: { next: string | null; size: number; done: boolean }[] = [];
    let progress = Promise.resolve();
    let pagesDone = walk?.pages ?? 0;
    let recordsApplied = walk?.recordsSeen ?? 0;
    const advance = () => {
      let last: { next: string | null; size: number } | undefined;
      for (let head = pending[0]; head?.done; head = pending[0]) {
        last = pending.shift();
        pagesDone++;
        recordsApplied += head.size;
      }
      if (walk && last) {
        const at = { nextUrl: last.next, pages: pagesDone, recordsSeen: recordsApplied };
        progress = progress.then(() => recordWalkProgress(deps.sql, walk.id, at));
      }
    };
    const finishedBefore = walk?.resumed === true && walk.nextUrl === null;
    const pages = finishedBefore
      ? []
      : prefetched(
          deps.client.pages(resource, query, {
            priority: options.priority ?? (kind === 'incremental' ? 'sync' : 'background'),
            budgetKind: kind,
            requestId: options.requestId,
            ...(walk?.nextUrl ? { startUrl: walk.nextUrl } : {}),
          }),
        );
    try {
      for await (const page of pages) {
        apiCalls++;
        seen += page.results.length;
        const slot = { next: page.next, size: page.results.length, done: false };
        pending.push(slot);
        let pageWarnings = new PgValueWarnings();
        const applied = inChangeTransaction(
          deps.sql,
          { actor: options.actor ?? `sync:${kind}`, requestId: options.requestId },
          async (tx) => {
            pageWarnings = new PgValueWarnings(); // a retried transaction counts afresh
            const rows = await applyRecords(tx, resource, page.results, {
              timeZone: deps.timeZone,
              afterApply: deps.afterApply,
              warnings: pageWarnings,
            });
            if (walk && kind === 'deep_reconcile')
              await markSeen(
                tx,
                walk.id,
                page.results.map((r) => String(r.id)),
              );
            return rows;
          },
        ).then(
          (rows) => {
            warnings.merge(pageWarnings);
            changed += rows.length;
            if (changedPatients)
              for (const r of rows) if (r.drchronoId.indexOf(':') === -1) changedPatients.add(r.drchronoId);
            slot.done = true;
            advance();
            deps.onProgress?.({ resource, seen, changed });
          },
          (error: unknown) => {
            failure ??= { error };
          },
        );
        applying.add(applied);
        void applied.finally(() => applying.delete(applied));
        if (applying.size >= PAGES_IN_FLIGHT) await Promise.race(applying);
        if (failure) break;
      }
    } finally {
      // Also when reading a page failed: let the pages in flight commit and record how far the walk got.
      await Promise.allSettled(applying);
      await progress;
    }
    warnings.log(deps.logger, { resource, kind });
    if (failure) throw failure.error;
    const deleted = walk && kind === 'deep_reconcile' ? await softDeleteMissing(deps, resource, walk.id, options) : 0;
    if (walk) await finishWalk(deps.sql, walk.id);
    const cursor = usesSince
      ? utcToPracticeLocal(new Date(runStarted.getTime() - CURSOR_OVERLAP_MS), deps.timeZone)
      : null;
    return {
      resource,
      kind,
      seen,
      changed,
      deleted,
      apiCalls,
      cursor,
      changedPatients: [...(changedPatients ?? [])],
      valueWarnings: warnings.total,
    };
  });
}

async function softDeleteMissing(
  deps: SyncDeps,
  resource: DrChronoResource,
  walkId: number,
  options: SyncOptions,
): Promise<number> {
  const missing = await unseenLiveIds(deps.sql, mirrors[tableOf[resource]].table, walkId);
  let deleted = 0;
  for (let i = 0; i < missing.length; i += 500) {
    const rows = await inChangeTransaction(
      deps.sql,
      { actor: options.actor ?? 'sync:deep_reconcile', requestId: options.requestId },
      (tx) => deleteRecords(tx, resource, missing.slice(i, i + 500)),
    );
    deleted += rows.length;
  }
  // Everyone's medications, problems and allergies were just re-read: refreshes queued before the walk are moot.
  if (resource === perPatientResources.at(-1))
    await deps.sql`DELETE FROM patient_refresh_queue WHERE queued_at < (SELECT started_at FROM sync_walks WHERE id = ${walkId})`;
  return deleted;
}

/**
 * Re-reads medications, problems and allergies of the given patients (DrChrono has no `since` for them) and
 * soft-deletes the ones DrChrono no longer lists for that patient. Costs one call per patient and resource page.
 */
export async function refreshPatients(
  deps: SyncDeps,
  patientIds: readonly string[],
  options: SyncOptions = {},
  resources: readonly DrChronoResource[] = perPatientResources,
): Promise<ResourceSyncResult[]> {
  const results: ResourceSyncResult[] = [];
  for (const resource of resources) {
    results.push(
      await logged(deps, resource, 'patient_refresh', options.requestId, async () => {
        let seen = 0;
        let changed = 0;
        let deleted = 0;
        let apiCalls = 0;
        const warnings = new PgValueWarnings();
        for (const patientId of patientIds) {
          const ids: string[] = [];
          for await (const page of deps.client.pages(resource, listQuery(resource, { patient: patientId }), {
            priority: options.priority ?? 'sync',
            budgetKind: 'patient_refresh',
            requestId: options.requestId,
          })) {
            apiCalls++;
            seen += page.results.length;
            ids.push(...page.results.map((r) => String(r.id)));
            let pageWarnings = new PgValueWarnings();
            const rows = await inChangeTransaction(
              deps.sql,
              { actor: options.actor ?? 'sync:patient_refresh', requestId: options.requestId },
              (tx) => {
                pageWarnings = new PgValueWarnings(); // a retried transaction counts afresh
                return applyRecords(tx, resource, page.results, { timeZone: deps.timeZone, warnings: pageWarnings });
              },
            );
            warnings.merge(pageWarnings);
            changed += rows.length;
          }
          deleted += await softDeleteGoneForPatient(deps, resource, patientId, ids, options.requestId);
        }
        warnings.log(deps.logger, { resource, kind: 'patient_refresh' });
        return {
          resource,
          kind: 'patient_refresh' as const,
          seen,
          changed,
          deleted,
          apiCalls,
          changedPatients: [],
          valueWarnings: warnings.total,
        };
      }),
    );
  }
  return results;
}

async function softDeleteGoneForPatient(
  deps: SyncDeps,
  resource: DrChronoResource,
  patientId: string,
  present: string[],
  requestId: string | undefined,
): Promise<number> {
  const spec = mirrors[tableOf[resource]];
  const rows: ChangedRow[] = await inChangeTransaction(
    deps.sql,
    { actor: 'sync:patient_refresh', requestId },
    async (tx) => {
      const gone = await tx.unsafe<{ drchrono_id: string }[]>(
        `SELECT drchrono_id FROM ${spec.table} WHERE patient = $1 AND deleted_at IS NULL AND NOT (drchrono_id = ANY($2::text[]))`,
        [patientId, present],
      );
      return deleteRecords(
        tx,
        resource,
        gone.map((g) => g.drchrono_id),
      );
    },
  );
  return rows.length;
}

/**
 * Every resource in dependency order, then the billing deletion logs and the labs (sync/drchrono/lab-sync.ts).
 * `incremental` (the 15-minute schedule) also refreshes the per-patient resources of patients that changed; `full`
 * and `deep_reconcile` walk those resources completely.
 */
export async function syncAll(
  deps: SyncDeps,
  kind: SyncKind,
  options: SyncOptions = {},
): Promise<ResourceSyncResult[]> {
  const results: ResourceSyncResult[] = [];
  const changedPatients: string[] = [];
  for (const resource of syncOrder) {
    if (kind === 'incremental' && perPatientResources.includes(resource)) continue;
    const result = await syncResource(deps, resource, kind, options);
    results.push(result);
    changedPatients.push(...result.changedPatients);
  }
  if (kind === 'incremental') results.push(...(await refreshQueuedPatients(deps, changedPatients, options)));
  results.push(...(await syncBillingDeletions(deps, kind, options)));
  results.push(...(await syncLabs(deps, kind, options)));
  return results;
}

/** Patients whose medications, problems and allergies one incremental cycle re-reads at most (3 calls each). */
const PATIENT_REFRESHES_PER_CYCLE = 10;

/**
 * The incremental cycle's per-patient refresh, bounded: the patients that changed join `patient_refresh_queue`, and
 * the oldest few are re-read (3 calls each). DrChrono sends create/modify webhooks for medications, problems and
 * allergies, so the refresh only catches deletions and lost webhooks; unbounded it was the largest cost of a cycle
 * (50 changed patients = 150 calls). What stays queued is re-read by later cycles or by the nightly deep walk.
 */
async function refreshQueuedPatients(
  deps: SyncDeps,
  changedPatients: readonly string[],
  options: SyncOptions,
): Promise<ResourceSyncResult[]> {
  const now = new Date((deps.clock ?? Date.now)()).toISOString();
  if (changedPatients.length > 0)
    await deps.sql`INSERT INTO patient_refresh_queue (patient, queued_at)
                   SELECT p, ${now}::timestamptz FROM unnest(${changedPatients as string[]}::text[]) AS p
                   ON CONFLICT DO NOTHING`;
  const due = await deps.sql<{ patient: string }[]>`
    SELECT patient FROM patient_refresh_queue ORDER BY queued_at, patient
    LIMIT ${deps.patientRefreshesPerCycle ?? PATIENT_REFRESHES_PER_CYCLE}`;
  if (due.length === 0) return [];
  const patients = due.map((d) => d.patient);
  const results = await refreshPatients(deps, patients, options);
  await deps.sql`DELETE FROM patient_refresh_queue WHERE patient = ANY(${patients})`;
  return results;
}

/**
 * `POST /sync/billing`, `platform sync billing`: line items, insurance transactions and patient payments (each by
 * `since` when incremental), then the deletions DrChrono reports only in its logs.
 */
export async function syncBilling(
  deps: SyncDeps,
  kind: SyncKind,
  options: SyncOptions = {},
): Promise<ResourceSyncResult[]> {
  const results: ResourceSyncResult[] = [];
  for (const resource of drchronoBillingResources) results.push(await syncResource(deps, resource, kind, options));
  results.push(...(await syncBillingDeletions(deps, kind, options)));
  return results;
}
