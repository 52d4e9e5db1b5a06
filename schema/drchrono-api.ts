import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { oneOf, timestamptz } from './columns.js';

// State of the platform's use of the DrChrono API (not mirrored DrChrono data). Not audited: it holds counters,
// walk positions and ids only.

/**
 * DrChrono's hourly call budget, shared by every instance (DESIGN §7.1: 500 calls per application per clock hour).
 * One row per clock hour; `sync/drchrono/budget.ts` reserves a call with one conditional upsert on it.
 */
export const drchronoCallBudget = pgTable(
  'drchrono_call_budget',
  {
    /** Start of the clock hour (UTC), e.g. `2026-03-01 10:00:00+00`. */
    hourStart: timestamptz('hour_start').primaryKey(),
    /** Calls reserved in this hour by all instances, webhook and sync work together. */
    callsUsed: integer('calls_used').notNull().default(0),
  },
  () => [check('drchrono_call_budget_calls_used_check', sql`calls_used >= 0`)],
);

/** What a DrChrono call was spent on, for `platform budget` and the dashboard (no ids, no PHI). */
export const drchronoCallKinds = [
  'incremental',
  'patient_refresh',
  'webhook',
  'full',
  'deep_reconcile',
  'labs',
  'other',
] as const;
export type DrChronoCallKind = (typeof drchronoCallKinds)[number];

/** Calls per clock hour and kind, written in the same statement that reserves the call in drchrono_call_budget. */
export const drchronoCallUsage = pgTable(
  'drchrono_call_usage',
  {
    hourStart: timestamptz('hour_start').notNull(),
    kind: text('kind').notNull(),
    calls: integer('calls').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.hourStart, t.kind] }),
    check('drchrono_call_usage_kind_check', oneOf('kind', drchronoCallKinds)),
  ],
);

/**
 * A full or deep walk of one resource in progress: where it stopped (`next_url`, DrChrono's own cursor link), so a
 * walk that outlives its hour's budget or its process resumes there instead of starting over.
 */
export const syncWalks = pgTable(
  'sync_walks',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    resource: text('resource').notNull(),
    kind: text('kind').notNull(),
    startedAt: timestamptz('started_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    finishedAt: timestamptz('finished_at'),
    /** The next page to read; null once the last page has been applied. */
    nextUrl: text('next_url'),
    pages: integer('pages').notNull().default(0),
    recordsSeen: integer('records_seen').notNull().default(0),
  },
  (t) => [
    uniqueIndex('sync_walks_open_idx')
      .on(t.resource, t.kind)
      .where(sql`finished_at IS NULL`),
    check('sync_walks_kind_check', oneOf('kind', ['full', 'deep_reconcile'])),
  ],
);

/** Ids a deep walk has seen so far (kept across restarts); what is live in Postgres and not here is soft-deleted. */
export const syncWalkSeen = pgTable(
  'sync_walk_seen',
  {
    walkId: bigint('walk_id', { mode: 'number' })
      .notNull()
      .references(() => syncWalks.id, { onDelete: 'cascade' }),
    drchronoId: text('drchrono_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.walkId, t.drchronoId] })],
);

/**
 * Patients whose medications, problems and allergies should be re-read (DrChrono has no `since` and no delete event
 * for them). Fed by the incremental cycle, drained a few per cycle inside the budget; the nightly deep walk re-reads
 * everyone and empties it.
 */
export const patientRefreshQueue = pgTable('patient_refresh_queue', {
  patient: text('patient').primaryKey(),
  queuedAt: timestamptz('queued_at').notNull().defaultNow(),
});
