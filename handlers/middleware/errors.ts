import type { ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../../sync/observability/logger.js';

/**
 * HTTPExceptions become their own response (short status phrase). Anything else is logged by class only and
 * answered with a generic 500, so internals and PHI never reach the client.
 */
export function errorHandler(logger: Logger): ErrorHandler {
  return function errorHandler(error, c) {
    if (error instanceof HTTPException) {
      if (error.res) return error.res;
      return c.json({ error: error.message || 'error' }, error.status);
    }
    logger.error({ err: error, path: c.req.routePath, requestId: c.get('requestId' as never) }, 'unhandled error');
    return c.json({ error: 'internal error' }, 500);
  };
}

export const notFound: NotFoundHandler = (c) => c.json({ error: 'not found' }, 404);
