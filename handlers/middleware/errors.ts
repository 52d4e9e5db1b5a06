import type { ErrorHandler, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../../sync/observability/logger.js';

/** nginx's "client closed request": nobody reads the answer, and it is not a server error. */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * HTTPExceptions become their own response (short status phrase). A request whose client went away (mid-body, or
 * before the answer) is logged at info and answered 499 — not an ERROR, not a 5xx for the alert. Anything else is
 * logged by class only and answered with a generic 500, so internals and PHI never reach the client.
 */
export function errorHandler(logger: Logger): ErrorHandler {
  return function errorHandler(error, c) {
    if (error instanceof HTTPException) {
      if (error.res) return error.res;
      return c.json({ error: error.message || 'error' }, error.status);
    }
    if (c.req.raw.signal.aborted) {
      logger.info(
        { path: c.req.routePath, requestId: c.get('requestId' as never), errorClass: error.name },
        'client closed the request',
      );
      return new Response(null, { status: CLIENT_CLOSED_REQUEST });
    }
    logger.error({ err: error, path: c.req.routePath, requestId: c.get('requestId' as never) }, 'unhandled error');
    return c.json({ error: 'internal error' }, 500);
  };
}

export const notFound: NotFoundHandler = (c) => c.json({ error: 'not found' }, 404);
