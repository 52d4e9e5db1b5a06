import type { Sql } from 'postgres';
import { pgValue, PgValueWarnings } from '../db/pg-values.js';
import { inChangeTransaction } from '../db/change-transaction.js';
import { assertTimeZone, DEFAULT_PRACTICE_TIME_ZONE, linkSelect, type LinkStatus } from './link.js';
import type { GridhookPayload } from './payload.js';

/** Recorded in change_log.actor for every Gridhook write. */
export const DEEPCURA_ACTOR = 'webhook:deepcura';

export type StoreResult =
  /** The note was inserted, or this newer version updated it. */
  | {
      readonly status: 'stored';
      readonly id: number;
      readonly linkStatus: LinkStatus;
      readonly op: 'insert' | 'update';
    }
  /** A new delivery of an identical note, or an older version than the stored one: nothing written but the delivery id. */
  | { readonly status: 'unchanged'; readonly id: number; readonly linkStatus: LinkStatus }
  /** This delivery id was seen before (a replay): nothing written at all. */
  | { readonly status: 'duplicate' };

export interface StoreOptions {
  /** Correlates the change_log rows with the request. */
  readonly requestId?: string;
  /** Replay key. @default gridhookDeliveryId(note.payload) — note id + `sent_at` */
  readonly deliveryId?: string;
  /** Practice time zone for the visit-date link rule (IANA). @default 'America/New_York' */
  readonly timeZone?: string;
  /**
   * Counts content values cleaned or nulled on the way to Postgres (NUL or lone surrogates in text and jsonb;
   * see sync/db/pg-values.ts). The caller logs them; counted only for the transaction that committed.
   */
  readonly warnings?: PgValueWarnings;
}

/** The replay key of a delivery: the note id and its `sent_at` as a UTC instant (two spellings of one instant collide). */
export function gridhookDeliveryId(note: Pick<GridhookPayload, 'note_id' | 'sent_at'>): string {
  return `${note.note_id}@${new Date(note.sent_at).toISOString()}`;
}

// Content columns, in the order of the parameters below. The link columns come from the link rules.
const CONTENT = [
  ['source_appointment_id', 'text'],
  ['source_patient_id', 'text'],
  ['visit_date', 'date'],
  ['transcript', 'text'],
  ['soap_subjective', 'text'],
  ['soap_objective', 'text'],
  ['soap_assessment', 'text'],
  ['soap_plan', 'text'],
  ['icd10_suggestions', 'jsonb'],
  ['cpt_suggestions', 'jsonb'],
  ['medication_mentions', 'jsonb'],
  ['risk_level', 'text'],
  ['risk_factors', 'jsonb'],
  ['raw', 'jsonb'],
  ['source_created_at', 'timestamptz'],
] as const;
const LINK = ['link_status', 'appointment', 'patient', 'clinical_note'] as const;

const columns = CONTENT.map(([name]) => name);
// $1 = deepcura_note_id, $2..$16 = content, $17 = time zone.
const input = CONTENT.map(([name, type], i) => `$${i + 2}::${type} AS ${name}`).join(', ');
const contentCompared = columns.filter((c) => c !== 'raw');
// A re-sent note whose ids and visit date did not change keeps its link when the rules now find none (a second
// clinical note that day makes the date ambiguous): the evidence that linked it is still true.
const KEEP_LINK = `(excluded.link_status = 'unlinked' AND t.link_status <> 'unlinked'
  AND (t.source_appointment_id, t.source_patient_id, t.visit_date)
      IS NOT DISTINCT FROM (excluded.source_appointment_id, excluded.source_patient_id, excluded.visit_date))`;
const newLink = (c: string) => `CASE WHEN ${KEEP_LINK} THEN t.${c} ELSE excluded.${c} END`;

const UPSERT_SQL = `
WITH input AS (SELECT $1::text AS deepcura_note_id, ${input}),
n AS (SELECT deepcura_note_id AS key, source_appointment_id, source_patient_id, visit_date FROM input),
link AS (${linkSelect('n', '$17')}),
upserted AS (
  INSERT INTO deepcura_notes AS t (deepcura_note_id, ${columns.join(', ')}, ${LINK.join(', ')}, linked_at)
  SELECT i.deepcura_note_id, ${columns.map((c) => `i.${c}`).join(', ')}, ${LINK.map((c) => `l.${c}`).join(', ')},
         CASE WHEN l.link_status = 'unlinked' THEN NULL ELSE now() END
  FROM input i JOIN link l ON l.key = i.deepcura_note_id
  ON CONFLICT (deepcura_note_id) DO UPDATE SET
    ${columns.map((c) => `${c} = excluded.${c}`).join(', ')},
    ${LINK.map((c) => `${c} = ${newLink(c)}`).join(',\n    ')},
    linked_at = CASE WHEN ${KEEP_LINK} THEN t.linked_at
                     WHEN excluded.link_status = 'unlinked' THEN NULL
                     WHEN (t.link_status, t.appointment, t.patient, t.clinical_note)
                          IS NOT DISTINCT FROM (excluded.link_status, excluded.appointment, excluded.patient, excluded.clinical_note)
                     THEN t.linked_at ELSE now() END
  -- The version compared is the payload minus sent_at plus the link: a re-send of the same content is not a change.
  WHERE ((${[...contentCompared, ...LINK].map((c) => `t.${c}`).join(', ')}, t.raw - 'sent_at')
         IS DISTINCT FROM (${[...contentCompared.map((c) => `excluded.${c}`), ...LINK.map(newLink)].join(', ')}, excluded.raw - 'sent_at'))
    AND (t.raw ->> 'sent_at')::timestamptz < (excluded.raw ->> 'sent_at')::timestamptz
  RETURNING t.id, t.deepcura_note_id, t.link_status, (t.xmax = 0) AS inserted
), announced AS (
  INSERT INTO outbox (table_name, row_id, drchrono_id, op) SELECT 'deepcura_notes', id, deepcura_note_id, 'upsert' FROM upserted
)
SELECT id, link_status, inserted FROM upserted`;

/**
 * Stores one validated Gridhook note in one transaction (actor `webhook:deepcura`):
 * 1. records the delivery id in `webhook_deliveries` — if it is already there this is a replay and nothing else
 *    happens (`duplicate`); concurrent replays serialise on the unique index;
 * 2. computes the link (appointment, else patient + visit date, else unlinked; see link.ts);
 * 3. upserts by `deepcura_note_id`: a new note is inserted, a newer version (later `sent_at`) with different content
 *    or link updates it, an identical or older one changes nothing (`unchanged`, delivery marked `ignored`); a
 *    version with the same ids and visit date keeps an existing link even if the rules now find none;
 * 4. writes one outbox row per insert/update. change_log rows come from the table's audit triggers.
 */
export async function storeDeepcuraNote(
  sql: Sql,
  note: StorableNote,
  options: StoreOptions = {},
): Promise<StoreResult> {
  const timeZone = assertTimeZone(options.timeZone ?? DEFAULT_PRACTICE_TIME_ZONE);
  let attempt = new PgValueWarnings();
  const result = await inChangeTransaction(
    sql,
    { actor: DEEPCURA_ACTOR, requestId: options.requestId },
    async (tx): Promise<StoreResult> => {
      attempt = new PgValueWarnings(); // a retried transaction counts afresh
      const [delivery] = await tx<{ id: string }[]>`
      INSERT INTO webhook_deliveries (source, delivery_id, event, status)
      VALUES ('deepcura', ${options.deliveryId ?? gridhookDeliveryId(note.payload)}, 'note', 'applied')
      ON CONFLICT (source, delivery_id) DO NOTHING
      RETURNING id`;
      if (!delivery) return { status: 'duplicate' };

      const p = note.payload;
      // Every content value passes the column's Postgres rule (CONTENT's types), as mirror rows do in upsertBatch.
      const content = [
        p.appointment_id,
        p.patient_id,
        p.visit_date,
        p.transcript,
        p.soap.subjective,
        p.soap.objective,
        p.soap.assessment,
        p.soap.plan,
        p.icd10_suggestions,
        p.cpt_suggestions,
        p.medication_mentions,
        p.risk_assessment.level,
        p.risk_assessment.factors,
        note.raw,
        p.created_at,
      ].map((value, i) => {
        const [name, type] = CONTENT[i]!;
        const result = pgValue({ name, type }, value);
        if (result.issue) attempt.add('deepcura_notes', name, result.issue);
        return type === 'jsonb' ? JSON.stringify(result.value) : result.value;
      });
      const params = [p.note_id, ...content, timeZone];
      const [written] = await tx.unsafe<{ id: string; link_status: LinkStatus; inserted: boolean }[]>(
        UPSERT_SQL,
        params as never[],
        { prepare: true },
      );
      if (written) {
        return {
          status: 'stored',
          id: Number(written.id),
          linkStatus: written.link_status,
          op: written.inserted ? 'insert' : 'update',
        };
      }
      await tx`UPDATE webhook_deliveries SET status = 'ignored' WHERE id = ${delivery.id}`;
      const [current] = await tx<{ id: string; link_status: LinkStatus }[]>`
      SELECT id, link_status FROM deepcura_notes WHERE deepcura_note_id = ${p.note_id}`;
      if (!current) throw new Error('deepcura note vanished inside its own transaction');
      return { status: 'unchanged', id: Number(current.id), linkStatus: current.link_status };
    },
  );
  if (result.status === 'stored') options.warnings?.merge(attempt);
  return result;
}

/** The note as store.ts needs it: the validated payload and the plaintext object it came from (kept in `raw`). */
export interface StorableNote {
  readonly payload: GridhookPayload;
  readonly raw: Record<string, unknown>;
}
