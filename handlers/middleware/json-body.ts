import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { httpError } from './http-error.js';

/** The body cap when a route declares none: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** `application/json`, optionally with parameters (`; charset=utf-8`); nothing else (not `application/jsonx`). */
const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/** What `jsonBody` leaves on the context: the exact text (for signatures) and its parsed value. */
export type JsonBodyVariables = { rawBody: string; jsonBody: unknown };

export interface JsonBodyRefusal {
  readonly status: 400 | 413 | 415;
  readonly reason: 'malformed JSON' | 'payload too large' | 'unsupported media type';
}

export interface JsonBodyOptions {
  /** Largest body accepted, in bytes (a positive integer); a larger one is answered 413. @default 1048576 (1 MiB) */
  readonly maxBytes?: number;
  /**
   * Runs on the exact body text after it is read and before it is parsed, e.g. to check a signature over the raw
   * bytes so that unauthenticated input is refused before it is parsed. Throw an `httpError` to refuse.
   * @default none
   */
  readonly verify?: (c: Context, rawBody: string) => void | Promise<void>;
  /** Called just before jsonBody's own refusals (415, 413, 400) are thrown, e.g. to log them. @default none */
  readonly onRefuse?: (c: Context, refusal: JsonBodyRefusal) => void;
}

/**
 * Reads a JSON request body, one rule for every inbound route:
 * - 415 `{error:'unsupported media type', expected:'application/json'}` unless `Content-Type` is `application/json`
 *   (a `charset` or other parameter is allowed);
 * - 413 `{error:'payload too large', max_bytes}` over `maxBytes`, with or without `Content-Length` (hono's `bodyLimit`);
 * - then `verify(c, rawBody)` when given;
 * - 400 `{error:'malformed JSON'}` when the text does not parse.
 * Sets `c.get('rawBody')` and `c.get('jsonBody')`. Checking the parsed value's shape is the route's job.
 * @throws {Error} at setup when `maxBytes` is not a positive integer
 * @see https://hono.dev/docs/middleware/builtin/body-limit
 * @example
 * app.post('/webhooks/x', jsonBody({ maxBytes: 64 * 1024 }), (c) => c.json(receive(c.get('jsonBody'))));
 */
export function jsonBody(options: JsonBodyOptions = {}) {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new Error(
      `jsonBody: maxBytes must be a positive integer (bytes), got ${String(maxBytes)}; omit it for 1 MiB`,
    );
  }
  const { verify, onRefuse } = options;
  const refuse = (c: Context, refusal: JsonBodyRefusal, extra?: Record<string, unknown>) => {
    onRefuse?.(c, refusal);
    return httpError(refusal.status, refusal.reason, extra);
  };
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      throw refuse(c, { status: 413, reason: 'payload too large' }, { max_bytes: maxBytes });
    },
  });

  return createMiddleware<{ Variables: JsonBodyVariables }>(async function jsonBody(c, next) {
    if (!JSON_CONTENT_TYPE.test(c.req.header('content-type') ?? '')) {
      throw refuse(c, { status: 415, reason: 'unsupported media type' }, { expected: 'application/json' });
    }
    let rawBody = '';
    await limit(c, async () => {
      rawBody = await c.req.text();
    });
    if (verify) await verify(c, rawBody);
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawBody);
    } catch {
      throw refuse(c, { status: 400, reason: 'malformed JSON' });
    }
    c.set('rawBody', rawBody);
    c.set('jsonBody', parsed);
    await next();
  });
}
