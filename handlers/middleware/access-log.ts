import { createMiddleware } from 'hono/factory';
import type { Logger } from '../../sync/observability/logger.js';
import type { RequestIdVariables } from './request-id.js';

/** One line per request: method, route template (not the URL: query strings can carry values), status, duration. */
export const accessLog = (logger: Logger) =>
  createMiddleware<{ Variables: RequestIdVariables }>(async function accessLog(c, next) {
    const started = performance.now();
    await next();
    if (c.req.path === '/health') return;
    logger.info(
      {
        httpRequest: {
          requestMethod: c.req.method,
          status: c.res.status,
          latency: `${((performance.now() - started) / 1000).toFixed(3)}s`,
        },
        route: c.req.routePath,
        requestId: c.get('requestId'),
      },
      'request',
    );
  });
