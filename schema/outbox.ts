import { bigint, bigserial, check, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { oneOf, timestamptz } from './columns.js';

export const outboxOps = ['upsert', 'delete'] as const;

/**
 * Change events, written in the same transaction as the change they announce. Rows carry table and ids only,
 * never PHI; the relay publishes pending rows and sets `published_at`.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    tableName: text('table_name').notNull(),
    rowId: bigint('row_id', { mode: 'number' }).notNull(),
    drchronoId: text('drchrono_id'),
    op: text('op').notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    publishedAt: timestamptz('published_at'),
    attempts: integer('attempts').notNull().default(0),
    lastErrorClass: text('last_error_class'),
    /**
     * The W3C traceparent of the transaction that wrote the row (ids and flags only, never PHI), so the relay publishes
     * the change in the same trace. Filled by the default from `app.traceparent`, which `inChangeTransaction` sets.
     */
    traceContext: text('trace_context').default(sql`NULLIF(current_setting('app.traceparent', true), '')`),
  },
  (t) => [
    index('outbox_pending_idx')
      .on(t.id)
      .where(sql`published_at IS NULL`),
    check('outbox_op_check', oneOf('op', outboxOps)),
    check(
      'outbox_trace_context_check',
      sql`trace_context IS NULL OR trace_context ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'`,
    ),
  ],
);

export const webhookSources = ['drchrono', 'deepcura'] as const;

/** Webhook deliveries seen, for replay protection (`X-drchrono-delivery`, Deep Cura note id + timestamp). */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    source: text('source').notNull(),
    deliveryId: text('delivery_id').notNull(),
    event: text('event').notNull(),
    status: text('status').notNull(),
    receivedAt: timestamptz('received_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_source_delivery_idx').on(t.source, t.deliveryId),
    check('webhook_deliveries_source_check', oneOf('source', webhookSources)),
    check('webhook_deliveries_status_check', oneOf('status', ['applied', 'ignored'])),
  ],
);
