import { paymentLogEntry } from '../synthetic/billing.js';
import type { DrChronoRecord } from '../synthetic/dataset.js';
import type { ResourceName, SandboxStore } from './store.js';

/**
 * What DrChrono records when a billing record changes, since it sends no (or only a bare) webhook for it: a deleted
 * line item gets a `/api/line_item_deletions` entry; every create, update and delete of a patient payment gets a
 * `/api/patient_payment_log` entry (`action` C, U or D). Called by `control` after the change, with the record as it
 * was served (for a delete: before it vanished).
 */
export function logBillingChange(
  store: SandboxStore,
  resource: ResourceName,
  action: 'C' | 'U' | 'D',
  record: DrChronoRecord,
  nowTimestamp: string,
): void {
  if (resource === 'line_items' && action === 'D') {
    const appointment = record['appointment'];
    store.line_item_deletions.create(
      {
        billing_line_item_id: Number(record['id']),
        appointment_id: appointment === null || appointment === undefined ? null : Number(appointment),
      },
      nowTimestamp,
    );
  }
  if (resource === 'patient_payments') {
    store.patient_payment_log.create(paymentLogEntry(0, record, action, nowTimestamp), nowTimestamp);
  }
}
