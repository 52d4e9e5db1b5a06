import type { Sql } from 'postgres';

// One access_log row per call to DrChrono (DESIGN §5): method, path template, status, duration, record count and
// error class. Never a query string, an id, a token or a record's content.

export interface AccessLogEntry {
  readonly method: string;
  /** `/api/patients`, `/api/patients/{id}`, `/o/token/` — see {@link drchronoPathTemplate}. */
  readonly pathTemplate: string;
  /** HTTP status, or null when no answer arrived (network error). */
  readonly status: number | null;
  readonly durationMs: number;
  /** Records in the answer (list `results` length, 1 for a found detail), or null when none were returned. */
  readonly recordCount: number | null;
  /** Class of the failure, e.g. `DrChronoHttpError`, `RateLimitedError`; null on success. */
  readonly errorClass: string | null;
  readonly requestId?: string | undefined;
}

export type AccessLogWriter = (entry: AccessLogEntry) => Promise<void>;

/** Writes rows with service `drchrono`. A failed write fails the call: an outside call without its audit row is a gap. */
export function createAccessLogWriter(sql: Sql): AccessLogWriter {
  return async function writeDrChronoAccessLog(entry) {
    await sql`
      INSERT INTO access_log (service, method, path_template, status, duration_ms, record_count, error_class, request_id)
      VALUES ('drchrono', ${entry.method}, ${entry.pathTemplate}, ${entry.status}, ${Math.max(0, Math.round(entry.durationMs))},
              ${entry.recordCount}, ${entry.errorClass}, ${entry.requestId ?? null})`;
  };
}

/**
 * The route of a DrChrono URL without query or ids: `/api/<resource>` for lists, `/api/<resource>/{id}` for a detail
 * (any further segment becomes `{id}` too), `/o/token/` for the token endpoint, `/other` for anything else.
 */
export function drchronoPathTemplate(url: URL | string): string {
  const pathname = (typeof url === 'string' ? new URL(url) : url).pathname;
  if (/^\/o\/token\/?$/.test(pathname)) return '/o/token/';
  const segments = pathname.split('/').filter((s) => s.length > 0);
  const apiAt = segments.indexOf('api');
  const resource = apiAt >= 0 ? segments[apiAt + 1] : undefined;
  if (resource === undefined || !/^[a-z_]+$/.test(resource)) return '/other';
  return ['/api', resource, ...segments.slice(apiAt + 2).map(() => '{id}')].join('/');
}
