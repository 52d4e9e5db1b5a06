import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  CodaError, CodaHttpError, CodaMutationTimeoutError, CodaNetworkError, CodaRateLimitedError, PushAbandonedError, RowsMissingError, UnknownTableError,
} from '../../sync/coda/errors.js';
import { pushChangeEvent, type PushDeps } from '../../sync/coda/push.js';
import { decodePushEnvelope, PushEnvelopeError, type DecodedPush } from '../../sync/events/push-envelope.js';
import type { Logger } from '../../sync/observability/logger.js';
import type { AppEnv } from '../app.js';

/** Largest push body accepted: 1 MiB (a change event of 500 ids is a few kB). */
export const PUSH_MAX_BODY_BYTES = 1024 * 1024;

export interface PubsubPushRouteDeps {
  readonly push: PushDeps;
  /** `requirePushAuth(...)`: Google OIDC in every deployed config, `none` only locally. */
  readonly pushAuth: MiddlewareHandler;
  readonly logger: Logger;
}

const answer = (status: ContentfulStatusCode, body: Record<string, unknown>) =>
  new HTTPException(status, { res: new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }) });

/**
 * `POST /pubsub/push` — Pub/Sub push delivery of one change event (DESIGN §7.4).
 * - 204 when every row reached Coda and Coda applied it (or the message id was already processed): Pub/Sub acks.
 * - 400 for a body that can never succeed (decodePushEnvelope, naming the field): not JSON, no message id or one
 *   that is not printable ASCII ≤ 256, a publishTime that is not a real RFC 3339 instant, a subscription that is
 *   not a bounded `projects/…/subscriptions/…` name, bad base64, data that is not a change event, or a table
 *   without a Coda mapping. 413 over 1 MiB. For push, a 4xx is still a nack: Pub/Sub
 *   redelivers with backoff and dead-letters the message after `max_delivery_attempts`, so it is not retried forever.
 * - 422 when rows named by the event no longer exist (poison → DLQ after the configured attempts).
 * - 503 when Coda is rate-limiting, failing, unreachable or has not applied the upserts in time, or when the caller
 *   gave up while the push waited for its table's write turn; 500 when Coda
 *   refuses the request (e.g. the map no longer fits the doc). Both make Pub/Sub redeliver.
 * Logs carry the message id, table, id count and error class — never row values.
 */
export function pubsubPushRoutes(deps: PubsubPushRouteDeps) {
  const { logger } = deps;
  const app = new Hono<AppEnv>();
  const limit = bodyLimit({
    maxSize: PUSH_MAX_BODY_BYTES,
    onError: (c) => {
      logger.warn({ requestId: c.get('requestId'), reason: 'oversized', maxBytes: PUSH_MAX_BODY_BYTES }, 'push envelope rejected');
      throw answer(413, { error: 'payload too large', max_bytes: PUSH_MAX_BODY_BYTES });
    },
  });

  app.post('/pubsub/push', deps.pushAuth, limit, async (c) => {
    const requestId = c.get('requestId');
    const reject = (reason: string, fields?: string[], extra: Record<string, unknown> = {}): never => {
      logger.warn({ requestId, reason, ...(fields && { fields }), ...extra }, 'push envelope rejected');
      throw answer(400, { error: reason, ...(fields && { fields }) });
    };

    let decoded: DecodedPush;
    try {
      decoded = decodePushEnvelope(await c.req.text());
    } catch (error) {
      if (error instanceof PushEnvelopeError) return reject(error.reason, error.fields.length > 0 ? [...error.fields] : undefined, error.where);
      throw error;
    }
    const { messageId, subscription, deliveryAttempt, publishedAt, event } = decoded;
    const where = { messageId, subscription, ...(deliveryAttempt !== undefined && { deliveryAttempt }) };
    const about = { requestId, ...where, table: event.table, idCount: event.ids.length };

    try {
      const result = await pushChangeEvent(deps.push, event, { messageId, subscription, requestId, publishedAt, signal: c.req.raw.signal });
      logger.info({ ...about, outcome: result.status }, 'push handled');
      return c.body(null, 204);
    } catch (error) {
      if (error instanceof UnknownTableError) return reject('unknown table', ['data.table'], { ...where, table: event.table });
      if (error instanceof RowsMissingError) {
        logger.warn({ ...about, missingCount: error.missingIds.length, err: error }, 'push refused: rows missing (poison)');
        throw answer(422, { error: 'rows missing' });
      }
      if (
        error instanceof PushAbandonedError ||
        error instanceof CodaMutationTimeoutError ||
        error instanceof CodaRateLimitedError ||
        error instanceof CodaNetworkError ||
        (error instanceof CodaHttpError && error.status >= 500)
      ) {
        logger.warn({ ...about, err: error }, 'push failed; Pub/Sub will redeliver');
        throw answer(503, { error: 'coda unavailable' });
      }
      if (error instanceof CodaError) {
        logger.error({ ...about, err: error, ...(error instanceof CodaHttpError && { status: error.status }), pathTemplate: error.pathTemplate }, 'Coda refused the push');
        throw answer(500, { error: 'coda refused' });
      }
      throw error;
    }
  });
  return app;
}
