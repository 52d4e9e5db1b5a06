import { Hono } from 'hono';
import type { Sql } from 'postgres';
import { databaseIsHealthy } from '../sync/db/health.js';

/** `GET /health`: 200 when the database answers, 503 otherwise (Cloud Run and the uptime check read the status). */
export function healthRoutes(deps: { sql: Sql; service: string }) {
  return new Hono().get('/health', async (c) => {
    const ok = await databaseIsHealthy(deps.sql);
    return c.json(
      { service: deps.service, status: ok ? 'ok' : 'unavailable', database: ok ? 'ok' : 'unreachable' },
      ok ? 200 : 503,
    );
  });
}
