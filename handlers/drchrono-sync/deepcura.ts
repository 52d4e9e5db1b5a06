import { Hono } from 'hono';
import type { Sql } from 'postgres';
import { GridhookAuthError, GridhookPayloadError, GridhookStaleError } from '../../sync/deepcura/errors.js';
import { createGridhookReceiver } from '../../sync/deepcura/receive.js';
import type { Logger } from '../../sync/observability/logger.js';
import type { AppEnv } from '../app.js';
import { httpError, statusFor, type ErrorStatusRow } from '../middleware/http-error.js';
import { jsonBody, type JsonBodyVariables } from '../middleware/json-body.js';

export interface DeepcuraWebhookDeps {
  readonly sql: Sql;
  readonly logger: Logger;
  /** The 32-byte shared secret (decode `DEEPCURA_KEY` with `parseGridhookKey`). */
  readonly key: Buffer;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  /** Half-width of the replay window for `sent_at`, in seconds. @default 300 */
  readonly replayWindowSeconds?: number;
  /** Practice time zone for linking by visit date (IANA). @default 'America/New_York' */
  readonly timeZone?: string;
}

/** Largest Gridhook body accepted (the envelope, base64): 1 MiB. */
const MAX_BODY_BYTES = 1024 * 1024;

/** What the Gridhook route answers for the errors it knows; anything else is the app's generic 500. */
const gridhookErrorStatus: readonly ErrorStatusRow[] = [
  [GridhookPayloadError, 400, 'invalid payload'],
  // One body for failed authentication and a stale `sent_at`, so a caller learns nothing.
  [GridhookAuthError, 401, 'unauthorized'],
  [GridhookStaleError, 401, 'unauthorized'],
];

/**
 * `POST /webhooks/deepcura` — Deep Cura Gridhook v1 (docs/deepcura-contract.md). Answers 200 `{status:'stored'|
 * 'unchanged', link_status}` or 200 `{status:'duplicate'}` for a replay; 400 naming the fields (never their values),
 * 401 for failed authentication or a stale `sent_at` (one body for both, so a caller learns nothing), 413 over 1 MiB,
 * 415 unless `application/json`, 400 `malformed JSON`. Throws at construction for a bad key, window or time zone.
 */
export function deepcuraWebhookRoutes(deps: DeepcuraWebhookDeps) {
  const receive = createGridhookReceiver(deps);
  const { logger } = deps;
  const app = new Hono<AppEnv & { Variables: JsonBodyVariables }>();

  app.post('/webhooks/deepcura', jsonBody({ maxBytes: MAX_BODY_BYTES }), async (c) => {
    const requestId = c.get('requestId');
    try {
      const result = await receive(c.get('jsonBody'), { requestId });
      if (result.status === 'duplicate') {
        logger.info({ requestId, outcome: 'duplicate' }, 'gridhook replay ignored');
        return c.json({ status: 'duplicate' }, 200);
      }
      result.valueWarnings?.log(logger, { requestId, source: 'deepcura-gridhook' });
      logger.info(
        { requestId, outcome: result.status, deepcuraNoteRowId: result.id, linkStatus: result.linkStatus },
        'gridhook received',
      );
      return c.json({ status: result.status, link_status: result.linkStatus }, 200);
    } catch (error) {
      const known = statusFor(error, gridhookErrorStatus);
      if (!known) throw error;
      const payload = error instanceof GridhookPayloadError ? error : undefined;
      logger.warn(
        {
          requestId,
          err: error,
          ...(payload && { fields: payload.fields }),
          ...(error instanceof GridhookStaleError && { skewSeconds: error.skewSeconds }),
        },
        'gridhook rejected',
      );
      throw httpError(known.status, known.phrase, payload && { fields: payload.fields, problems: payload.problems }, {
        cause: error,
      });
    }
  });
  return app;
}
