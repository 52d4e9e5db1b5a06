import type { Hono } from 'hono';
import { afterAll, beforeAll } from 'vitest';
import { createBaseApp } from '../../handlers/app.js';
import type { Logger } from '../../sync/observability/logger.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { captureLogs, type CapturedLogs } from './logs.js';

export interface RouteTestbed {
  /** The test file's own migrated database (created in beforeAll, dropped in afterAll). */
  readonly t: TestDatabase;
  /** drchrono-sync's base app with the routes mounted, driven in-process with `app.request()`. */
  readonly app: ReturnType<typeof createBaseApp>;
  /** Every line the app logged. */
  readonly logs: CapturedLogs;
}

/**
 * One inbound route under test on drchrono-sync's base app (request id, access log, error mapping) with a real
 * database and captured logs; registers the beforeAll/afterAll that create and drop them. `seed` runs once after.
 */
export function routeTestbed(
  mount: (deps: { sql: TestDatabase['sql']; logger: Logger }) => Hono<any>,
  seed?: (t: TestDatabase) => Promise<unknown>,
): RouteTestbed {
  const logs = captureLogs('drchrono-sync');
  let t: TestDatabase | undefined;
  let app: ReturnType<typeof createBaseApp> | undefined;
  beforeAll(async () => {
    t = await createTestDatabase();
    app = createBaseApp({ sql: t.sql, logger: logs.logger, service: 'drchrono-sync' });
    app.route('/', mount({ sql: t.sql, logger: logs.logger }));
    await seed?.(t);
  });
  afterAll(() => t?.drop());
  return {
    get t() {
      if (!t) throw new Error('routeTestbed: the database exists only inside tests (after beforeAll)');
      return t;
    },
    get app() {
      if (!app) throw new Error('routeTestbed: the app exists only inside tests (after beforeAll)');
      return app;
    },
    logs,
  };
}
