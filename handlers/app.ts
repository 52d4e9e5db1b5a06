import { httpInstrumentationMiddleware } from '@hono/otel';
import { Hono } from 'hono';
import type { Sql } from 'postgres';
import type { Logger } from '../sync/observability/logger.js';
import { healthRoutes } from './health.js';
import { accessLog } from './middleware/access-log.js';
import { errorHandler, notFound } from './middleware/errors.js';
import { requestId, type RequestIdVariables } from './middleware/request-id.js';

export type AppEnv = { Variables: RequestIdVariables };

/**
 * What every service app is built on: a server span per request, request id, access log, error mapping, 404 and
 * `/health`. The span (@hono/otel, a no-op until tracing is started) continues a W3C `traceparent` header, is named
 * `<METHOD> <route template>` and carries the service name; its `url.full` is cut to the route template on export
 * (sync/observability/tracing.ts), so no id or query value leaves in it.
 */
export function createBaseApp(deps: { sql: Sql; logger: Logger; service: string }) {
  const app = new Hono<AppEnv>();
  app.use(httpInstrumentationMiddleware({ serviceName: deps.service, captureActiveRequests: false }));
  app.use(requestId());
  app.use(accessLog(deps.logger));
  app.onError(errorHandler(deps.logger));
  app.notFound(notFound);
  app.route('/', healthRoutes(deps));
  return app;
}
