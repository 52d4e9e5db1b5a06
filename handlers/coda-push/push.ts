import { Hono, type MiddlewareHandler } from 'hono';
import {
  CodaError,
  CodaHttpError,
  CodaMutationTimeoutError,
  CodaNetworkError,
  CodaRateLimitedError,
  PushAbandonedError,
  RowsMissingError,
  UnknownTableError,
} from '../../sync/coda/errors.js';
import { pushChangeEvent, type PushDeps } from '../../sync/coda/push.js';
import { decodeParsedPushEnvelope, PushEnvelopeError, type DecodedPush } from '../../sync/events/push-envelope.js';
import type { Logger } from '../../sync/observability/logger.js';
import { consumerParent, SpanKind, withSpan } from '../../sync/observability/spans.js';
import type { AppEnv } from '../app.js';
import { httpError, statusFor, type ErrorStatusRow } from '../middleware/http-error.js';
import { jsonBody, type JsonBodyVariables } from '../middleware/json-body.js';

export interface PubsubPushRouteDeps {
  readonly push: PushDeps;
  /** `requirePushAuth(...)`: Google OIDC in every deployed config, `none` only locally. */
  readonly pushAuth: MiddlewareHandler;
  readonly logger: Logger;
}

/** Largest push body accepted: 1 MiB (a change event of 500 ids is a few kB). */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * What a failed push answers; the first matching row wins. 422 is poison (→ DLQ after the configured attempts);
 * 503 and 500 make Pub/Sub redeliver.
 */
const pushErrorStatus: readonly ErrorStatusRow[] = [
  [UnknownTableError, 400, 'unknown table'],
  [RowsMissingError, 422, 'rows missing'],
  [PushAbandonedError, 503, 'coda unavailable'],
  [CodaMutationTimeoutError, 503, 'coda unavailable'],
  [CodaRateLimitedError, 503, 'coda unavailable'],
  [CodaNetworkError, 503, 'coda unavailable'],
  [CodaHttpError, 503, 'coda unavailable', (error) => (error as CodaHttpError).status >= 500],
  [CodaError, 500, 'coda refused'],
];

/**
 * `POST /pubsub/push` — Pub/Sub push delivery of one change event (DESIGN §7.4).
 * - 204 when every row reached Coda and Coda applied it (or the message id was already processed): Pub/Sub acks.
 * - 400 for a body that can never succeed (decodeParsedPushEnvelope, naming the field): not JSON, no message id or one
 *   that is not printable ASCII ≤ 256, a publishTime that is not a real RFC 3339 instant, a subscription that is
 *   not a bounded `projects/…/subscriptions/…` name, bad base64, data that is not a change event, or a table
 *   without a Coda mapping. 413 over 1 MiB; 415 unless `application/json` (what Pub/Sub sends). For push, a 4xx is
 *   still a nack: Pub/Sub redelivers with backoff and dead-letters the message after `max_delivery_attempts`, so it
 *   is not retried forever.
 * - 422 when rows named by the event no longer exist (poison → DLQ after the configured attempts).
 * - 503 when Coda is rate-limiting, failing, unreachable or has not applied the upserts in time, or when the caller
 *   gave up while the push waited for its table's write turn; 500 when Coda
 *   refuses the request (e.g. the map no longer fits the doc). Both make Pub/Sub redeliver.
 * Logs carry the message id, table, id count and error class — never row values.
 */
export function pubsubPushRoutes(deps: PubsubPushRouteDeps) {
  const { logger } = deps;
  const app = new Hono<AppEnv & { Variables: JsonBodyVariables }>();
  const body = jsonBody({
    maxBytes: MAX_BODY_BYTES,
    onRefuse: (c, { status, reason }) => {
      logger.warn(
        { requestId: c.get('requestId'), reason, ...(status === 413 && { maxBytes: MAX_BODY_BYTES }) },
        'push envelope rejected',
      );
    },
  });

  app.post('/pubsub/push', deps.pushAuth, body, async (c) => {
    const requestId = c.get('requestId');
    let decoded: DecodedPush;
    try {
      decoded = decodeParsedPushEnvelope(c.get('jsonBody'));
    } catch (error) {
      if (!(error instanceof PushEnvelopeError)) throw error;
      const fields = error.fields.length > 0 ? [...error.fields] : undefined;
      logger.warn(
        { requestId, reason: error.reason, ...(fields && { fields }), ...error.where },
        'push envelope rejected',
      );
      throw httpError(400, error.reason, fields && { fields });
    }
    const { messageId, subscription, deliveryAttempt, publishedAt, committedAt, event, traceContext } = decoded;
    const where = { messageId, subscription, ...(deliveryAttempt !== undefined && { deliveryAttempt }) };
    const about = { requestId, ...where, table: event.table, idCount: event.ids.length };

    try {
      // The push runs in a consumer span that continues the publisher's trace (from the message attributes).
      const result = await withSpan(
        `process ${subscription.slice(subscription.lastIndexOf('/') + 1)}`,
        {
          kind: SpanKind.CONSUMER,
          ...consumerParent(traceContext),
          attributes: {
            'messaging.system': 'gcp_pubsub',
            'messaging.operation.type': 'process',
            'messaging.destination.subscription.name': subscription,
            'messaging.message.id': messageId,
            ...(deliveryAttempt !== undefined && { 'messaging.gcp_pubsub.message.delivery_attempt': deliveryAttempt }),
            'app.table': event.table,
            'app.id_count': event.ids.length,
          },
        },
        async (span) => {
          const pushed = await pushChangeEvent(deps.push, event, {
            messageId,
            subscription,
            requestId,
            publishedAt,
            committedAt,
            signal: c.req.raw.signal,
          });
          span.setAttribute('app.outcome', pushed.status);
          return pushed;
        },
      );
      logger.info({ ...about, outcome: result.status }, 'push handled');
      return c.body(null, 204);
    } catch (error) {
      const known = statusFor(error, pushErrorStatus);
      if (!known) throw error;
      if (error instanceof UnknownTableError) {
        logger.warn(
          { requestId, reason: known.phrase, fields: ['data.table'], ...where, table: event.table },
          'push envelope rejected',
        );
        throw httpError(known.status, known.phrase, { fields: ['data.table'] }, { cause: error });
      }
      if (error instanceof RowsMissingError)
        logger.warn(
          { ...about, missingCount: error.missingIds.length, err: error },
          'push refused: rows missing (poison)',
        );
      else if (known.status === 503) logger.warn({ ...about, err: error }, 'push failed; Pub/Sub will redeliver');
      else if (error instanceof CodaError) {
        logger.error(
          {
            ...about,
            err: error,
            ...(error instanceof CodaHttpError && { status: error.status }),
            pathTemplate: error.pathTemplate,
          },
          'Coda refused the push',
        );
      }
      throw httpError(known.status, known.phrase, undefined, { cause: error });
    }
  });
  return app;
}
