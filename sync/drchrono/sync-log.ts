import type { Sql } from 'postgres';
import { LOG_EVENTS } from '../../contract/resources.js';
import type { Logger } from '../observability/logger.js';
import { retryTransient } from '../db/transient.js';
import type { AfterApplyHook } from './apply.js';
import type { CallPriority, DrChronoClient, DrChronoEndpoint } from './types.js';

// The bookkeeping every sync run shares: its options and result, the per-resource session lock (one run of a
// resource at a time across instances) and its sync_log row from start to finish, and the stored `since` cursor.

export type SyncKind = 'full' | 'incremental' | 'deep_reconcile';

/** Overlap between consecutive incremental windows, so a record updated while a run was reading is not missed. */
export const CURSOR_OVERLAP_MS = 5 * 60_000;

export interface SyncDeps {
  readonly sql: Sql;
  readonly client: DrChronoClient;
  readonly logger: Logger;
  /** The practice's IANA zone (DrChrono's timestamps are local to it). */
  readonly timeZone: string;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  readonly afterApply?: AfterApplyHook;
  /**
   * Most patients whose medications, problems and allergies one incremental cycle re-reads (3 calls each); the
   * others wait in `patient_refresh_queue`. @default 10
   */
  readonly patientRefreshesPerCycle?: number;
  /** Minutes after which an open critical lab review raises the overdue alert. @default 60 */
  readonly labCriticalReviewMinutes?: number;
  /** Called after every page, for progress lines. */
  readonly onProgress?: (progress: { resource: DrChronoEndpoint; seen: number; changed: number }) => void;
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
  readonly resource: DrChronoEndpoint;
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

export async function lastCursor(sql: Sql, resource: DrChronoEndpoint): Promise<string | undefined> {
  const [row] = await sql<{ cursor: string }[]>`
    SELECT cursor FROM sync_log
    WHERE resource = ${resource} AND status = 'succeeded' AND cursor IS NOT NULL AND kind IN ('full', 'incremental', 'deep_reconcile')
    ORDER BY finished_at DESC LIMIT 1`;
  return row?.cursor;
}

/** Runs `work` holding this resource's session advisory lock, with a sync_log row from start to finish. */
export async function logged<T extends Omit<ResourceSyncResult, 'kind' | 'resource'> & { cursor?: string | null }>(
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
