import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface HttpErrorOptions {
  /** Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
  readonly headers?: Record<string, string>;
  /** The error that led here; kept on the exception for logs, never sent to the client. */
  readonly cause?: unknown;
}

/**
 * The one way to refuse a request: an `HTTPException` whose response is the JSON body `{ error: message, ...extra }`.
 * `message` is a short status phrase (`'unauthorized'`, `'payload too large'`); `extra` adds safe, structured detail
 * (`fields`, `max_bytes`) — never values from the request. The app's `errorHandler` answers with this response.
 * @example
 * throw httpError(413, 'payload too large', { max_bytes: 1048576 });
 * throw httpError(401, 'unauthorized', undefined, { headers: { 'WWW-Authenticate': 'Bearer' } });
 */
export function httpError(
  status: ContentfulStatusCode,
  message: string,
  extra?: Record<string, unknown>,
  options: HttpErrorOptions = {},
): HTTPException {
  const headers = new Headers(options.headers);
  headers.set('Content-Type', 'application/json; charset=UTF-8');
  const res = new Response(JSON.stringify({ error: message, ...extra }), { status, headers });
  return new HTTPException(status, { res, message, ...(options.cause !== undefined && { cause: options.cause }) });
}

/** A constructor of errors a route knows how to answer (abstract classes included). */
type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * One row of a route's error-to-status table: `[ErrorClass, status, phrase, when?]`. The phrase is the `error` of the
 * body (or a function of the error for phrases that name a field); `when` narrows the row (e.g. only 5xx answers).
 */
export type ErrorStatusRow = readonly [
  errorClass: ErrorClass,
  status: ContentfulStatusCode,
  phrase: string | ((error: Error) => string),
  when?: (error: Error) => boolean,
];

export interface ErrorStatus {
  readonly status: ContentfulStatusCode;
  readonly phrase: string;
}

/**
 * Looks `error` up in a route's table: the first row whose class matches (`instanceof`) and whose `when` holds.
 * `undefined` = the route does not know this error: rethrow it, so the app answers a generic 500.
 */
export function statusFor(error: unknown, table: readonly ErrorStatusRow[]): ErrorStatus | undefined {
  if (!(error instanceof Error)) return undefined;
  for (const [errorClass, status, phrase, when] of table) {
    if (error instanceof errorClass && (!when || when(error))) {
      return { status, phrase: typeof phrase === 'function' ? phrase(error) : phrase };
    }
  }
  return undefined;
}
