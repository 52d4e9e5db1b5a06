import { relinkDeepcuraNotes } from '../deepcura/link.js';
import type { AfterApplyHook } from './apply.js';

/**
 * After appointments or clinical notes change, Deep Cura notes waiting for them are linked in the same
 * transaction (a Gridhook can arrive before DrChrono's note).
 */
export function relinkAfterApply(timeZone: string): AfterApplyHook {
  return async (tx, { resource, rows }) => {
    if (resource !== 'appointments' && resource !== 'clinical_notes') return;
    const ids = rows.map((r) => r.drchronoId);
    const table = resource === 'appointments' ? 'appointments' : 'clinical_notes';
    const links = await tx.unsafe<{ appointment: string | null; patient: string | null }[]>(
      `SELECT ${resource === 'appointments' ? 'drchrono_id' : 'appointment'} AS appointment, patient FROM ${table} WHERE drchrono_id = ANY($1::text[])`,
      [ids],
    );
    await relinkDeepcuraNotes(tx, {
      appointmentIds: links.flatMap((l) => (l.appointment ? [l.appointment] : [])),
      patientIds: links.flatMap((l) => (l.patient ? [l.patient] : [])),
      timeZone,
    });
  };
}
