import { bigint, bigserial, check, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { oneOf, timestamptz } from './columns.js';

// Audit tables. The application role may only INSERT and SELECT here (see drizzle/0001_audit.sql); change_log
// additionally rejects UPDATE, DELETE and TRUNCATE for every role, owner included.

export const syncKinds = ['full', 'incremental', 'patient_refresh', 'deep_reconcile', 'webhook'] as const;
export const syncStatuses = ['running', 'succeeded', 'failed'] as const;

/** One row per sync operation. Finished through `sync_log_finish()` so the app role needs no UPDATE. */
export const syncLog = pgTable(
  'sync_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    kind: text('kind').notNull(),
    resource: text('resource').notNull(),
    status: text('status').notNull().default('running'),
    startedAt: timestamptz('started_at').notNull().defaultNow(),
    finishedAt: timestamptz('finished_at'),
    recordsSeen: integer('records_seen').notNull().default(0),
    recordsChanged: integer('records_changed').notNull().default(0),
    recordsDeleted: integer('records_deleted').notNull().default(0),
    apiCalls: integer('api_calls').notNull().default(0),
    /** Where the next incremental run starts (`since`), set on success. */
    cursor: text('cursor'),
    /** Error class name only (e.g. `RateLimitedError`), never a message that could carry PHI. */
    errorClass: text('error_class'),
    requestId: text('request_id'),
  },
  (t) => [
    index('sync_log_resource_idx').on(t.resource, t.kind, t.startedAt),
    check('sync_log_kind_check', oneOf('kind', syncKinds)),
    check('sync_log_status_check', oneOf('status', syncStatuses)),
  ],
);

export const changeOps = ['INSERT', 'UPDATE', 'DELETE'] as const;

/** Written only by the audit triggers: one row per changed row, with its state before and after. */
export const changeLog = pgTable(
  'change_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tableName: text('table_name').notNull(),
    rowId: bigint('row_id', { mode: 'number' }).notNull(),
    op: text('op').notNull(),
    before: jsonb('before'),
    after: jsonb('after'),
    changedColumns: text('changed_columns').array().notNull(),
    txid: bigint('txid', { mode: 'number' }).notNull(),
    actor: text('actor').notNull(),
    requestId: text('request_id'),
    changedAt: timestamptz('changed_at').notNull().defaultNow(),
  },
  (t) => [
    index('change_log_row_idx').on(t.tableName, t.rowId),
    index('change_log_changed_at_idx').on(t.changedAt),
    check('change_log_op_check', oneOf('op', changeOps)),
  ],
);

export const accessServices = ['drchrono', 'coda', 'deepcura', 'google'] as const;

/** One row per call to an outside API: the path template, never query values. */
export const accessLog = pgTable(
  'access_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    service: text('service').notNull(),
    method: text('method').notNull(),
    pathTemplate: text('path_template').notNull(),
    status: integer('status'),
    durationMs: integer('duration_ms').notNull(),
    recordCount: integer('record_count'),
    errorClass: text('error_class'),
    requestId: text('request_id'),
    at: timestamptz('at').notNull().defaultNow(),
  },
  (t) => [
    index('access_log_service_at_idx').on(t.service, t.at),
    check('access_log_service_check', oneOf('service', accessServices)),
  ],
);

/** Pub/Sub message ids already handled (push is at-least-once); kept 7 days by `processed_messages_cleanup()`. */
export const processedMessages = pgTable(
  'processed_messages',
  {
    messageId: text('message_id').primaryKey(),
    subscription: text('subscription'),
    processedAt: timestamptz('processed_at').notNull().defaultNow(),
  },
  (t) => [index('processed_messages_processed_at_idx').on(t.processedAt)],
);
