import { randomUUID } from 'node:crypto';
import { createMiddleware } from 'hono/factory';

export type RequestIdVariables = { requestId: string };

const TRACE_HEADER = 'x-cloud-trace-context';
const SAFE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Every request gets an id: Cloud Run's trace id when present, else the caller's `X-Request-Id` if it is a plain
 * token, else a new UUID. It is echoed in `X-Request-Id` and written to change_log through `app.request_id`.
 */
export const requestId = () =>
  createMiddleware<{ Variables: RequestIdVariables }>(async function requestId(c, next) {
    const trace = c.req.header(TRACE_HEADER)?.split('/')[0];
    const given = c.req.header('x-request-id');
    const id = trace && SAFE_ID.test(trace) ? trace : given && SAFE_ID.test(given) ? given : randomUUID();
    c.set('requestId', id);
    await next();
    c.header('X-Request-Id', id);
  });
