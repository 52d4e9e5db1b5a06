import { mirrors } from '../mirrors.js';
import { PgValueWarnings } from '../db/pg-values.js';
import { prefetched } from '../prefetch.js';
import { utcToPracticeLocal } from '../time.js';
import type { ChangedRow } from '../upsert.js';
import { syncBillingDeletions } from './billing-deletions.js';
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
 * DrChrono no longer returns.
 */
export async function syncResource(
  deps: SyncDeps,
  resource: DrChronoResource,
  kind: SyncKind,
  options: SyncOptions = {},
): Promise<ResourceSyncResult> {
  const clock = deps.clock ?? Date.now;
  return logged(deps, resource, kind, options.requestId, async () => {
    const runStarted = new Date(clock());
    const usesSince = sinceResources.includes(resource);
    const since =
      kind === 'incremental' && usesSince ? (options.since ?? (await lastCursor(deps.sql, resource))) : options.since;
    const filters: Record<string, string> = {};
    if (since && usesSince) filters['since'] = since;
    // DrChrono lists appointments only within a date filter; `since` at the epoch means "all of them".
    if (resource === 'appointments' && !filters['since']) filters['since'] = '1970-01-01';
    const query = listQuery(resource, filters);

    const seenIds = kind === 'deep_reconcile' ? new Set<string>() : undefined;
    // Only an incremental run refreshes changed patients' medications etc.; a full walk must not keep every id.
    const changedPatients = kind === 'incremental' && resource === 'patients' ? new Set<string>() : undefined;
    let seen = 0;
    let changed = 0;
    let apiCalls = 0;
    const warnings = new PgValueWarnings();
    const applying = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    for await (const page of prefetched(
      deps.client.pages(resource, query, { priority: options.priority ?? 'sync', requestId: options.requestId }),
    )) {
      apiCalls++;
      seen += page.results.length;
      if (seenIds) for (const r of page.results) seenIds.add(String(r.id));
      let pageWarnings = new PgValueWarnings();
      const applied = inChangeTransaction(
        deps.sql,
        { actor: options.actor ?? `sync:${kind}`, requestId: options.requestId },
        (tx) => {
          pageWarnings = new PgValueWarnings(); // a retried transaction counts afresh
          return applyRecords(tx, resource, page.results, {
            timeZone: deps.timeZone,
            afterApply: deps.afterApply,
            warnings: pageWarnings,
          });
        },
      ).then(
        (rows) => {
          warnings.merge(pageWarnings);
          changed += rows.length;
          if (changedPatients)
            for (const r of rows) if (r.drchronoId.indexOf(':') === -1) changedPatients.add(r.drchronoId);
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
    await Promise.all(applying);
    warnings.log(deps.logger, { resource, kind });
    if (failure) throw failure.error;
    const deleted = seenIds ? await softDeleteMissing(deps, resource, seenIds, options.requestId) : 0;
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
  seenIds: Set<string>,
  requestId: string | undefined,
): Promise<number> {
  const spec = mirrors[tableOf[resource]];
  const live = await deps.sql.unsafe<{ drchrono_id: string }[]>(
    `SELECT drchrono_id FROM ${spec.table} WHERE deleted_at IS NULL`,
  );
  const missing = live.map((r) => r.drchrono_id).filter((id) => !seenIds.has(id));
  let deleted = 0;
  for (let i = 0; i < missing.length; i += 500) {
    const rows = await inChangeTransaction(deps.sql, { actor: 'sync:deep_reconcile', requestId }, (tx) =>
      deleteRecords(tx, resource, missing.slice(i, i + 500)),
    );
    deleted += rows.length;
  }
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
  if (kind === 'incremental' && changedPatients.length > 0)
    results.push(...(await refreshPatients(deps, changedPatients, options)));
  results.push(...(await syncBillingDeletions(deps, kind, options)));
  results.push(...(await syncLabs(deps, kind, options)));
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
