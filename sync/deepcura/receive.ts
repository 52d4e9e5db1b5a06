import type { Sql } from 'postgres';
import { PgValueWarnings } from '../db/pg-values.js';
import { assertGridhookFresh, assertGridhookKey, decryptGridhook, DEFAULT_REPLAY_WINDOW_SECONDS } from './decrypt.js';
import { GridhookConfigError } from './errors.js';
import { assertTimeZone, DEFAULT_PRACTICE_TIME_ZONE } from './link.js';
import { parseGridhookPayload } from './payload.js';
import { gridhookDeliveryId, storeDeepcuraNote, type StorableNote, type StoreResult } from './store.js';

export interface OpenGridhookOptions {
  /** The 32-byte shared secret. */
  readonly key: Buffer;
  /** The receiver's current time. */
  readonly now: Date;
  /** @default 300 */
  readonly replayWindowSeconds?: number;
}

/**
 * Everything before storage, without a database: decrypt and authenticate the envelope, parse and validate the
 * plaintext, check `sent_at` against the replay window. Throws GridhookPayloadError (envelope or payload shape),
 * GridhookAuthError, GridhookStaleError.
 */
export function openGridhook(envelope: unknown, options: OpenGridhookOptions): StorableNote {
  const plaintext = decryptGridhook(envelope, options.key);
  const note = parseGridhookPayload(plaintext);
  assertGridhookFresh(
    new Date(note.payload.sent_at),
    options.now,
    options.replayWindowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS,
  );
  return note;
}

export interface GridhookReceiverDeps {
  readonly sql: Sql;
  /** The 32-byte shared secret (decode `DEEPCURA_KEY` with parseGridhookKey). */
  readonly key: Buffer;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  /** Half-width of the replay window around the receiver's clock, in seconds (1–3600). @default 300 */
  readonly replayWindowSeconds?: number;
  /** Practice time zone for the visit-date link rule (IANA). @default 'America/New_York' */
  readonly timeZone?: string;
}

export type GridhookReceiveResult = StoreResult & {
  readonly deepcuraNoteId?: string;
  /** Values cleaned or nulled before storage (NUL, lone surrogates), by column and reason; log them, never values. */
  readonly valueWarnings?: PgValueWarnings;
};

export type GridhookReceiver = (
  envelope: unknown,
  context?: { readonly requestId?: string },
) => Promise<GridhookReceiveResult>;

/**
 * The one sync function behind `POST /webhooks/deepcura`: open the Gridhook, then store and link it. Validates its
 * configuration when called (GridhookConfigError), so a bad key fails at start-up, not on the first delivery.
 */
export function createGridhookReceiver(deps: GridhookReceiverDeps): GridhookReceiver {
  const key = assertGridhookKey(deps.key);
  const clock = deps.clock ?? Date.now;
  const replayWindowSeconds = deps.replayWindowSeconds ?? DEFAULT_REPLAY_WINDOW_SECONDS;
  if (!Number.isInteger(replayWindowSeconds) || replayWindowSeconds < 1 || replayWindowSeconds > 3600) {
    throw new GridhookConfigError(`replayWindowSeconds must be an integer from 1 to 3600; got ${replayWindowSeconds}`);
  }
  const timeZone = assertTimeZone(deps.timeZone ?? DEFAULT_PRACTICE_TIME_ZONE);
  return async function receiveGridhook(envelope, context = {}) {
    const note = openGridhook(envelope, { key, now: new Date(clock()), replayWindowSeconds });
    const valueWarnings = new PgValueWarnings();
    const result = await storeDeepcuraNote(deps.sql, note, {
      requestId: context.requestId,
      deliveryId: gridhookDeliveryId(note.payload),
      timeZone,
      warnings: valueWarnings,
    });
    return { ...result, deepcuraNoteId: note.payload.note_id, valueWarnings };
  };
}
