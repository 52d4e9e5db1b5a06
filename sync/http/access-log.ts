import type { Sql } from 'postgres';

// One access_log row per HTTP call to an outside API (DESIGN §5): service, method, path template, status, duration,
// record count, error class and request id. Never a query string, an id, a token or a record's content.

/** Outside APIs whose calls land in access_log (`access_log.service`). */
export type OutsideService = 'drchrono' | 'coda';

export interface AccessLogEntry {
  readonly method: string;
  /** The route without ids or query values, e.g. `/api/patients/{id}`, `/docs/{docId}/tables/{tableId}/rows`. */
  readonly pathTemplate: string;
  /** HTTP status, or null when no answer arrived (network error, timeout). */
  readonly status: number | null;
  readonly durationMs: number;
  /** Records in the answer (or sent, for a write), or null when none. */
  readonly recordCount: number | null;
  /** Class of the failure, e.g. `DrChronoHttpError`, `CodaRateLimitedError`; null on success. */
  readonly errorClass: string | null;
  readonly requestId?: string | undefined;
}

export type AccessLogWriter = (entry: AccessLogEntry) => Promise<void>;

/**
 * Writes one access_log row for `service`. A failed write fails the call: an outside call without its audit row is
 * a gap.
 */
export async function writeAccessLog(sql: Sql, service: OutsideService, entry: AccessLogEntry): Promise<void> {
  await sql`
    INSERT INTO access_log (service, method, path_template, status, duration_ms, record_count, error_class, request_id)
    VALUES (${service}, ${entry.method}, ${entry.pathTemplate}, ${entry.status}, ${Math.max(0, Math.round(entry.durationMs))},
            ${entry.recordCount}, ${entry.errorClass}, ${entry.requestId ?? null})`;
}
