import type { Sql } from 'postgres';
import { writeAccessLog, type AccessLogWriter } from '../http/access-log.js';

// DrChrono's access_log rows (DESIGN §5) go through the shared writer (sync/http/access-log.ts) with service
// `drchrono`. API calls write theirs in the outside-call pipeline; the token manager writes its `/o/token/` rows here
// after its locked transaction.

export type { AccessLogEntry, AccessLogWriter } from '../http/access-log.js';

/** Writes rows with service `drchrono`. A failed write fails the call: an outside call without its audit row is a gap. */
export function createAccessLogWriter(sql: Sql): AccessLogWriter {
  return async function writeDrChronoAccessLog(entry) {
    await writeAccessLog(sql, 'drchrono', entry);
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
