import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { HTTPException } from 'hono/http-exception';
import type { Sql } from 'postgres';
import { GridhookAuthError, GridhookPayloadError, GridhookStaleError } from '../../sync/deepcura/errors.js';
import { createGridhookReceiver } from '../../sync/deepcura/receive.js';
import type { Logger } from '../../sync/observability/logger.js';
import type { AppEnv } from '../app.js';

/** Largest Gridhook body accepted (the envelope, base64): 1 MiB. */
export const DEEPCURA_MAX_BODY_BYTES = 1024 * 1024;

export interface DeepcuraWebhookDeps {
  readonly sql: Sql;
  readonly logger: Logger;
  /** The 32-byte shared secret (decode `DEEPCURA_KEY` with `parseGridhookKey`). */
  readonly key: Buffer;
  /** @default () => new Date() */
  readonly clock?: () => Date;
  /** Half-width of the replay window for `sent_at`, in seconds. @default 300 */
  readonly replayWindowSeconds?: number;
  /** Practice timezone for linking by visit date (IANA). @default 'America/New_York' */
  readonly timezone?: string;
}

const isJson = (contentType: string | undefined) => /^application\/json\s*(;|$)/i.test(contentType ?? '');

const reject = (status: 400 | 401 | 413 | 415, body: Record<string, unknown>) =>
  new HTTPException(status, { res: new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }) });

/**
 * `POST /webhooks/deepcura` — Deep Cura Gridhook v1 (docs/deepcura-contract.md). Answers 200 `{status:'stored'|
 * 'unchanged', link_status}` or 200 `{status:'duplicate'}` for a replay; 400 naming the fields (never their values),
 * 401 for failed authentication or a stale `sent_at` (one body for both, so a caller learns nothing), 413 over 1 MiB,
 * 415 unless `application/json`. Throws at construction for a bad key, window or timezone.
 */
export function deepcuraWebhookRoutes(deps: DeepcuraWebhookDeps) {
  const receive = createGridhookReceiver(deps);
  const { logger } = deps;
  const app = new Hono<AppEnv>();

  const jsonOnly = createMiddleware<AppEnv>(async function jsonOnly(c, next) {
    if (!isJson(c.req.header('content-type'))) throw reject(415, { error: 'unsupported media type', expected: 'application/json' });
    await next();
  });
  const limit = bodyLimit({
    maxSize: DEEPCURA_MAX_BODY_BYTES,
    onError: () => {
      throw reject(413, { error: 'payload too large', max_bytes: DEEPCURA_MAX_BODY_BYTES });
    },
  });

  app.post('/webhooks/deepcura', jsonOnly, limit, async (c) => {
    const requestId = c.get('requestId');
    const text = await c.req.text();
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      throw reject(400, { error: 'malformed JSON' });
    }
    try {
      const result = await receive(envelope, { requestId });
      if (result.status === 'duplicate') {
        logger.info({ requestId, outcome: 'duplicate' }, 'gridhook replay ignored');
        return c.json({ status: 'duplicate' }, 200);
      }
      result.valueWarnings?.log(logger, { requestId, source: 'deepcura-gridhook' });
      logger.info({ requestId, outcome: result.status, deepcuraNoteRowId: result.id, linkStatus: result.linkStatus }, 'gridhook received');
      return c.json({ status: result.status, link_status: result.linkStatus }, 200);
    } catch (error) {
      if (error instanceof GridhookPayloadError) {
        logger.warn({ requestId, err: error, fields: error.fields }, 'gridhook rejected');
        throw reject(400, { error: 'invalid payload', fields: error.fields, problems: error.problems });
      }
      if (error instanceof GridhookAuthError || error instanceof GridhookStaleError) {
        logger.warn(
          { requestId, err: error, ...(error instanceof GridhookStaleError ? { skewSeconds: error.skewSeconds } : {}) },
          'gridhook rejected',
        );
        throw reject(401, { error: 'unauthorized' });
      }
      throw error;
    }
  });
  return app;
}
