import type { Sql } from 'postgres';
import { LOG_EVENTS } from '../../contract/resources.js';
import { mirrors } from '../mirrors.js';
import type { Logger } from '../observability/logger.js';
import { PgValueWarnings } from '../db/pg-values.js';
import { retryTransient } from '../db/transient.js';
import { prefetched } from '../prefetch.js';
import { utcToPracticeLocal } from '../time.js';
import { softDeleteBatch, type ChangedRow } from '../upsert.js';
import { inChangeTransaction } from '../db/change-transaction.js';
import { applyRecords, type AfterApplyHook } from './apply.js';
import { listQuery } from './list-params.js';
import { tableOf } from './mappers.js';
import {
  sinceResources,
  type CallPriority,
  type DrChronoClient,
  type DrChronoResource,
  drchronoResources,
} from './types.js';

export type SyncKind = 'full' | 'incremental' | 'deep_reconcile';

/** Order matters: parents before the records that link to them (drchronoResources is declared in that order). */
export const syncOrder: readonly DrChronoResource[] = drchronoResources;
/** Resources without `since`: refreshed per changed patient, fully in the nightly deep reconcile. */
export const perPatientResources: readonly DrChronoResource[] = ['medications', 'problems', 'allergies'];

/**
 * Pages applied concurrently, each in its own transaction: the database work of one page overlaps the next (about a
 * third faster on two cores). Rows are written in drchrono_id order, so concurrent pages lock in the same order.
 */
const PAGES_IN_FLIGHT = 2;

/** Overlap between consecutive incremental windows, so a record updated while a run was reading is not missed. */
const CURSOR_OVERLAP_MS = 5 * 60_000;

export interface SyncDeps {
  readonly sql: Sql;
  readonly client: DrChronoClient;
  readonly logger: Logger;
  /** The practice's IANA zone (DrChrono's timestamps are local to it). */
  readonly timeZone: string;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  readonly afterApply?: AfterApplyHook;
  /** Called after every page, for progress lines. */
  readonly onProgress?: (progress: { resource: DrChronoResource; seen: number; changed: number }) => void;
}

export interface SyncOptions {
  readonly requestId?: string;
  readonly priority?: CallPriority;
  /** Overrides the stored cursor (`platform sync patients --since …`), in DrChrono's zone-less format. */
  readonly since?: string;
  /** Who asked, for change_log.actor (e.g. `service:scheduler@…`, `staff:…`). @default `sync:<kind>` */
  readonly actor?: string;
}

export interface ResourceSyncResult {
  readonly resource: DrChronoResource;
  readonly kind: SyncKind | 'patient_refresh';
  readonly seen: number;
  readonly changed: number;
  readonly deleted: number;
  readonly apiCalls: number;
  /** Patients this incremental run changed (empty for other kinds). */
  readonly changedPatients: readonly string[];
  /** Values cleaned or nulled on the way to Postgres (sync/db/pg-values.ts); logged per table, column and reason. */
  readonly valueWarnings: number;
}

/** Another run holds the sync lock of this resource; try again after it finishes. */
export class SyncInProgressError extends Error {
  override name = 'SyncInProgressError';
  constructor(readonly resource: string) {
    super(`a sync of ${resource} is already running`);
  }
}

async function lastCursor(sql: Sql, resource: DrChronoResource): Promise<string | undefined> {
  const [row] = await sql<{ cursor: string }[]>`
    SELECT cursor FROM sync_log
    WHERE resource = ${resource} AND status = 'succeeded' AND cursor IS NOT NULL AND kind IN ('full', 'incremental', 'deep_reconcile')
    ORDER BY finished_at DESC LIMIT 1`;
  return row?.cursor;
}

/** Runs `work` holding this resource's session advisory lock, with a sync_log row from start to finish. */
async function logged<T extends Omit<ResourceSyncResult, 'kind' | 'resource'> & { cursor?: string | null }>(
  deps: SyncDeps,
  resource: string,
  kind: ResourceSyncResult['kind'],
  requestId: string | undefined,
  work: () => Promise<T>,
): Promise<T> {
  // Reserve and lock as one retried step: right after a database restart the pool can still hand out a connection
  // whose socket is closing, and the lock query is the first to find out.
  const { lock, locked } = await retryTransient(async () => {
    const lock = await deps.sql.reserve();
    try {
      const [row] = await lock<
        { ok: boolean }[]
      >`SELECT pg_try_advisory_lock(hashtext(${`drchrono-sync:${resource}`})) AS ok`;
      return { lock, locked: row?.ok === true };
    } catch (error) {
      lock.release();
      throw error;
    }
  });
  try {
    if (!locked) throw new SyncInProgressError(resource);
    // We hold this resource's lock, so any row still 'running' belongs to a process that died mid-run.
    const stale = await deps.sql<
      { id: string }[]
    >`SELECT id FROM sync_log WHERE resource = ${resource} AND status = 'running'`;
    for (const row of stale)
      await deps.sql`SELECT sync_log_finish(${row.id}, 'failed', 0, 0, 0, 0, NULL, 'Interrupted')`;
    const [log] = await deps.sql<{ id: string }[]>`
      INSERT INTO sync_log (kind, resource, request_id) VALUES (${kind}, ${resource}, ${requestId ?? null}) RETURNING id`;
    const started = performance.now();
    deps.logger.info({ event: LOG_EVENTS.syncStarted, resource, kind }, 'sync started');
    try {
      const result = await work();
      await deps.sql`SELECT sync_log_finish(${log!.id}, 'succeeded', ${result.seen}, ${result.changed}, ${result.deleted}, ${result.apiCalls}, ${result.cursor ?? null}, NULL)`;
      deps.logger.info(
        {
          event: LOG_EVENTS.syncCompleted,
          resource,
          kind,
          seen: result.seen,
          changed: result.changed,
          deleted: result.deleted,
          apiCalls: result.apiCalls,
          ms: Math.round(performance.now() - started),
        },
        'sync finished',
      );
      return result;
    } catch (error) {
      const errorClass = error instanceof Error ? error.name : 'Unknown';
      await deps.sql`SELECT sync_log_finish(${log!.id}, 'failed', 0, 0, 0, 0, NULL, ${errorClass})`;
      // ERROR with this event: the sync-failure alert's log-based metric (constructs/monitoring.ts) counts exactly these.
      deps.logger.error({ event: LOG_EVENTS.syncFailed, resource, kind, errorClass }, 'sync failed');
      throw error;
    } finally {
      await lock`SELECT pg_advisory_unlock(hashtext(${`drchrono-sync:${resource}`}))`;
    }
  } finally {
    lock.release();
  }
}

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
      softDeleteBatch(tx, spec, missing.slice(i, i + 500)),
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
): Promise<ResourceSyncResult[]> {
  const results: ResourceSyncResult[] = [];
  for (const resource of perPatientResources) {
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
      return softDeleteBatch(
        tx,
        spec,
        gone.map((g) => g.drchrono_id),
      );
    },
  );
  return rows.length;
}

/**
 * Every resource in dependency order. `incremental` (the 15-minute schedule) also refreshes the per-patient
 * resources of patients that changed; `full` and `deep_reconcile` walk those resources completely.
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
  return results;
}
