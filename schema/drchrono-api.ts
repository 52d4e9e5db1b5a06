import { sql } from 'drizzle-orm';
import { check, integer, pgTable } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.js';

// State of the platform's use of the DrChrono API (not mirrored DrChrono data). Not audited: it holds counters only.

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
