// All tables, by area.
export * from './drchrono.js';
export * from './billing.js';
export * from './labs.js';
export * from './deepcura.js';
export * from './operations.js';
export * from './audit.js';
export * from './outbox.js';
export * from './drchrono-api.js';

/**
 * Tables that are not audited by the change trigger: the audit trail itself and the delivery plumbing, which
 * carries ids only. Every other table is clinical or operational and must have the audit triggers — the test suite
 * enumerates the schema and fails for a table missing from both this list and the triggers.
 */
export const unauditedTableNames: readonly string[] = [
  'sync_log',
  'change_log',
  'access_log',
  'processed_messages',
  'outbox',
  'webhook_deliveries',
  'drchrono_call_budget',
  'claim_status_history',
  'drchrono_call_usage',
  'sync_walks',
  'sync_walk_seen',
  'patient_refresh_queue',
  'lab_order_refresh',
];
