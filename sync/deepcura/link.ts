import type { TransactionSql } from 'postgres';
import { PRACTICE_TIME_ZONE } from '../../contract/resources.js';
import { GridhookConfigError } from './errors.js';

/** The practice's IANA time zone when none is configured: the contract's (one constant, STYLE §12). */
export const DEFAULT_PRACTICE_TIME_ZONE = PRACTICE_TIME_ZONE;

export type LinkStatus = 'linked_appointment' | 'linked_patient_date' | 'unlinked';

/** Throws GridhookConfigError unless `timeZone` is an IANA zone name (the same names Postgres uses). */
export function assertTimeZone(timeZone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new GridhookConfigError(
      `timeZone must be an IANA zone name such as '${DEFAULT_PRACTICE_TIME_ZONE}'; got '${timeZone}'`,
    );
  }
  return timeZone;
}

/**
 * The link rules as one SQL fragment over a relation `n(key, source_appointment_id, source_patient_id, visit_date)`.
 * `$tz` is the placeholder holding the practice time zone. Per note it yields `key, link_status, appointment,
 * patient, clinical_note`:
 * 1. `source_appointment_id` names a (not deleted) appointment → `linked_appointment`, with the appointment's patient
 *    (else the note's patient if we have it) and the appointment's clinical note when present;
 * 2. else the patient exists and exactly one clinical note of that patient belongs to an appointment whose
 *    `scheduled_time`, in the practice time zone, falls on `visit_date` → `linked_patient_date`;
 * 3. else `unlinked`; `patient` is still filled when the patient row exists, so staff find the note by patient.
 */
export function linkSelect(notes: string, tz: string): string {
  return `
SELECT n.key,
       CASE WHEN ap.appointment IS NOT NULL THEN 'linked_appointment'
            WHEN pd.matches = 1 THEN 'linked_patient_date'
            ELSE 'unlinked' END AS link_status,
       coalesce(ap.appointment, CASE WHEN pd.matches = 1 THEN pd.appointment END) AS appointment,
       CASE WHEN ap.appointment IS NOT NULL THEN coalesce(ap.patient, p.drchrono_id) ELSE p.drchrono_id END AS patient,
       CASE WHEN ap.appointment IS NOT NULL THEN ap.clinical_note WHEN pd.matches = 1 THEN pd.clinical_note END AS clinical_note
FROM ${notes} AS n
LEFT JOIN patients p ON p.drchrono_id = n.source_patient_id AND p.deleted_at IS NULL
LEFT JOIN LATERAL (
  SELECT a.drchrono_id AS appointment, a.patient,
         (SELECT c.drchrono_id FROM clinical_notes c
           WHERE c.appointment = a.drchrono_id AND c.deleted_at IS NULL ORDER BY c.locked DESC, c.id DESC LIMIT 1) AS clinical_note
  FROM appointments a
  WHERE a.drchrono_id = n.source_appointment_id AND a.deleted_at IS NULL
) ap ON true
LEFT JOIN LATERAL (
  SELECT count(*) AS matches, min(c.drchrono_id) AS clinical_note, min(c.appointment) AS appointment
  FROM clinical_notes c JOIN appointments a ON a.drchrono_id = c.appointment
  WHERE p.drchrono_id IS NOT NULL AND coalesce(c.patient, a.patient) = p.drchrono_id
    AND c.deleted_at IS NULL AND a.deleted_at IS NULL
    AND (a.scheduled_time AT TIME ZONE ${tz}::text)::date = n.visit_date
) pd ON true`;
}

export interface RelinkOptions {
  /** Appointments just upserted: notes whose source appointment id is one of these are re-evaluated. */
  readonly appointmentIds?: readonly string[];
  /** Patients whose appointments or clinical notes just changed: their notes are re-evaluated (patient + date). */
  readonly patientIds?: readonly string[];
  /** Practice time zone for the visit-date rule (IANA). @default 'America/New_York' */
  readonly timeZone?: string;
}

export interface RelinkedNote {
  readonly id: number;
  readonly deepcuraNoteId: string;
  readonly linkStatus: LinkStatus;
}

/**
 * Re-runs the link rules, inside the caller's transaction, for notes that are not fully linked yet (unlinked, linked
 * by patient + date only, or linked to an appointment whose clinical note had not arrived) and that reference one of
 * the given appointments or patients. With neither list given, every such note is re-evaluated (a sweep). A note is
 * only updated when its link improves or gains a missing column — a relink never turns a link back into `unlinked`.
 * Each updated note gets its change_log row (trigger) and an outbox row, in the caller's transaction.
 *
 * The DrChrono sync calls this after upserting appointments or clinical notes.
 */
export async function relinkDeepcuraNotes(tx: TransactionSql, options: RelinkOptions = {}): Promise<RelinkedNote[]> {
  const timeZone = assertTimeZone(options.timeZone ?? DEFAULT_PRACTICE_TIME_ZONE);
  const sweep = options.appointmentIds === undefined && options.patientIds === undefined;
  const appointmentIds = [...new Set(options.appointmentIds ?? [])];
  const patientIds = [...new Set(options.patientIds ?? [])];
  if (!sweep && appointmentIds.length === 0 && patientIds.length === 0) return [];
  const rows = await tx.unsafe<{ id: string; deepcura_note_id: string; link_status: LinkStatus }[]>(
    `
WITH candidates AS (
  SELECT d.id AS key, d.source_appointment_id, d.source_patient_id, d.visit_date, d.link_status AS old_status
  FROM deepcura_notes d
  WHERE d.deleted_at IS NULL
    AND (d.link_status <> 'linked_appointment' OR d.clinical_note IS NULL OR d.patient IS NULL)
    AND ($1::boolean OR d.source_appointment_id = ANY($2::text[]) OR d.source_patient_id = ANY($3::text[]))
  FOR UPDATE OF d
), computed AS (${linkSelect('candidates', '$4')}
), updated AS (
  UPDATE deepcura_notes d
     SET link_status = c.link_status, appointment = c.appointment, patient = c.patient, clinical_note = c.clinical_note,
         linked_at = CASE WHEN c.link_status = 'unlinked' THEN NULL ELSE now() END
    FROM computed c
   WHERE d.id = c.key
     AND (d.link_status, d.appointment, d.patient, d.clinical_note) IS DISTINCT FROM (c.link_status, c.appointment, c.patient, c.clinical_note)
     -- never downgrade: an existing link only gives way to a stronger one or to the same one with more columns
     AND (d.link_status = 'unlinked' OR c.link_status = 'linked_appointment' OR d.link_status = c.link_status)
     AND (c.link_status <> 'unlinked' OR d.link_status = 'unlinked')
  RETURNING d.id, d.deepcura_note_id, d.link_status
), announced AS (
  INSERT INTO outbox (table_name, row_id, drchrono_id, op) SELECT 'deepcura_notes', id, deepcura_note_id, 'upsert' FROM updated
)
SELECT id, deepcura_note_id, link_status FROM updated ORDER BY id`,
    [sweep, appointmentIds, patientIds, timeZone],
    { prepare: true },
  );
  return rows.map((r) => ({ id: Number(r.id), deepcuraNoteId: r.deepcura_note_id, linkStatus: r.link_status }));
}
