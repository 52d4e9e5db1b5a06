import { setTimeout as delay } from 'node:timers/promises';
import { DRCHRONO_HOURLY_CALL_LIMIT, DRCHRONO_WEBHOOK_CALL_RESERVE, LOG_EVENTS } from '../../contract/resources.js';
import type { Logger } from '../observability/logger.js';
import type { Sql } from 'postgres';
import { CallBudgetExhaustedError } from './errors.js';
import type { DrChronoCallKind } from '../../schema/drchrono-api.js';
import type { CallPriority } from './types.js';

// DrChrono allows 500 calls per application per clock hour (DESIGN §7.1). Every instance reserves each call in
// Postgres before making it, so all of them together stay under the limit. Three shares, nested:
//   background (full and deep walks)  ≤ hourlyLimit − webhookReserve − incrementalReserve
//   sync (the 15-minute cycles)       ≤ hourlyLimit − webhookReserve
//   webhook (work a webhook triggers) ≤ hourlyLimit
// so a long walk only ever spends what the cycles and webhooks leave, and resumes next hour (sync/drchrono/walks.ts).
// Each reservation also counts the call under its kind (drchrono_call_usage) for `platform budget`.

const HOUR_MS = 3_600_000;

/** Start of the clock hour containing `at` (UTC hours; DrChrono resets at the top of each hour). */
export function hourStart(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
}

/** Start of the next clock hour after `at`. */
export function nextHourStart(at: Date): Date {
  return new Date(hourStart(at).getTime() + HOUR_MS);
}

/** `setTimeout` as a promise that rejects with the signal's reason when aborted. */
export const realSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  delay(ms, undefined, signal ? { signal } : {});

export interface CallBudgetOptions {
  readonly sql: Sql;
  /**
   * Calls per clock hour for all instances together: DrChrono's 500 minus a safety margin for calls made outside
   * this budget (e.g. by hand). Integer ≥ 1.
   * @default 480
   */
  readonly hourlyLimit?: number;
  /**
   * Calls per hour that only `webhook` work may use; `sync` work gets `hourlyLimit − webhookReserve`.
   * Integer, 0 ≤ webhookReserve < hourlyLimit.
   * @default 100, or a quarter of `hourlyLimit` when that is smaller (so a small limit still leaves sync room)
   */
  readonly webhookReserve?: number;
  /**
   * Calls per hour kept for the incremental cycles: `background` work (full and deep walks) gets
   * `hourlyLimit − webhookReserve − incrementalReserve`. Integer ≥ 0 leaving background at least 1.
   * @default 200 (four 15-minute cycles of ≤ 50 calls), or half of what sync may use when that is smaller
   */
  readonly incrementalReserve?: number;
  /**
   * What `sync` work does when its share of the hour is used up: `wait` sleeps until the next hour and tries again,
   * `throw` throws {@link CallBudgetExhaustedError}. `webhook` work always throws (a webhook must answer fast; the
   * caller defers the work).
   * @default 'wait'
   */
  readonly whenExhausted?: 'wait' | 'throw';
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
  /** Waits `ms` (rejects when `signal` aborts). Tests pass one that advances a fake clock. @default setTimeout */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly logger?: Logger;
}

export interface CallBudget {
  readonly hourlyLimit: number;
  readonly webhookReserve: number;
  readonly incrementalReserve: number;
  /**
   * Reserves one call in the current clock hour for `priority`, waiting for the next hour (sync, `whenExhausted:
   * 'wait'`) when there is no room.
   * @throws CallBudgetExhaustedError when there is no room and waiting is not allowed.
   */
  reserve(priority: CallPriority, signal?: AbortSignal, kind?: DrChronoCallKind): Promise<void>;
  /** Marks the current hour as full (DrChrono answered 429), so other instances stop spending calls too. */
  markHourExhausted(): Promise<void>;
  /** Calls reserved in the clock hour containing `at` (default now). */
  used(at?: Date): Promise<number>;
  /** Calls per kind in the clock hour containing `at` (default now); kinds with no call are absent. */
  usageByKind(at?: Date): Promise<Partial<Record<DrChronoCallKind, number>>>;
}

/** The share of the hour each priority may fill. */
export function priorityLimit(
  budget: Pick<CallBudget, 'hourlyLimit' | 'webhookReserve' | 'incrementalReserve'>,
  priority: CallPriority,
): number {
  if (priority === 'webhook') return budget.hourlyLimit;
  if (priority === 'sync') return budget.hourlyLimit - budget.webhookReserve;
  return budget.hourlyLimit - budget.webhookReserve - budget.incrementalReserve;
}

/** @throws Error when the limits are not integers or the reserve leaves no room for sync work. */
export function createCallBudget(options: CallBudgetOptions): CallBudget {
  const hourlyLimit = options.hourlyLimit ?? DRCHRONO_HOURLY_CALL_LIMIT;
  const webhookReserve = options.webhookReserve ?? Math.min(DRCHRONO_WEBHOOK_CALL_RESERVE, Math.floor(hourlyLimit / 4));
  if (!Number.isInteger(hourlyLimit) || hourlyLimit < 1) {
    throw new Error(
      `createCallBudget: hourlyLimit must be an integer >= 1 (calls per hour), got ${String(hourlyLimit)}`,
    );
  }
  if (!Number.isInteger(webhookReserve) || webhookReserve < 0 || webhookReserve >= hourlyLimit) {
    throw new Error(
      `createCallBudget: webhookReserve must be an integer in 0..hourlyLimit-1 (${hourlyLimit - 1}), got ${String(webhookReserve)}; lower it or raise hourlyLimit`,
    );
  }
  const incrementalReserve =
    options.incrementalReserve ?? Math.min(200, Math.floor((hourlyLimit - webhookReserve) / 2));
  if (
    !Number.isInteger(incrementalReserve) ||
    incrementalReserve < 0 ||
    incrementalReserve >= hourlyLimit - webhookReserve
  ) {
    throw new Error(
      `createCallBudget: incrementalReserve must be an integer in 0..${hourlyLimit - webhookReserve - 1} (hourlyLimit − webhookReserve − 1), got ${String(incrementalReserve)}`,
    );
  }
  const { sql } = options;
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const whenExhausted = options.whenExhausted ?? 'wait';

  /**
   * One statement: insert the hour's first call, or add one while under `limit`, and count it under `kind`. No row
   * back = no room (and nothing counted).
   */
  async function tryReserve(
    limit: number,
    kind: DrChronoCallKind,
  ): Promise<{ ok: boolean; hour: Date; used?: number }> {
    const hour = hourStart(new Date(clock()));
    const rows = await sql<{ calls_used: number }[]>`
      WITH reserved AS (
        INSERT INTO drchrono_call_budget AS b (hour_start, calls_used) VALUES (${hour.toISOString()}::timestamptz, 1)
        ON CONFLICT (hour_start) DO UPDATE SET calls_used = b.calls_used + 1 WHERE b.calls_used < ${limit}
        RETURNING calls_used
      ), counted AS (
        INSERT INTO drchrono_call_usage AS u (hour_start, kind, calls)
        SELECT ${hour.toISOString()}::timestamptz, ${kind}, 1 FROM reserved
        ON CONFLICT (hour_start, kind) DO UPDATE SET calls = u.calls + 1
      )
      SELECT calls_used FROM reserved`;
    return { ok: rows.length === 1, hour, used: rows[0]?.calls_used };
  }

  const shares = { hourlyLimit, webhookReserve, incrementalReserve };
  return {
    ...shares,
    async reserve(priority, signal, kind = priority === 'webhook' ? 'webhook' : 'other') {
      const limit = priorityLimit(shares, priority);
      for (;;) {
        signal?.throwIfAborted();
        const { ok, hour, used } = await tryReserve(limit, kind);
        if (ok) {
          // One line per call (≤ 500 an hour): the dashboard's calls-by-kind and used-vs-budget charts read it.
          options.logger?.info(
            { event: LOG_EVENTS.drchronoCallReserved, kind, priority, usedThisHour: used, limit: hourlyLimit },
            'DrChrono call reserved',
          );
          return;
        }
        const resetsAt = new Date(hour.getTime() + HOUR_MS);
        if (priority === 'webhook' || whenExhausted === 'throw') throw new CallBudgetExhaustedError(resetsAt);
        const waitMs = Math.max(0, resetsAt.getTime() - clock());
        options.logger?.warn(
          { event: 'drchrono_budget_wait', priority, limit, waitMs },
          'DrChrono call budget used up; waiting for the next hour',
        );
        await sleep(waitMs, signal);
      }
    },
    async markHourExhausted() {
      const hour = hourStart(new Date(clock()));
      await sql`
        INSERT INTO drchrono_call_budget AS b (hour_start, calls_used) VALUES (${hour.toISOString()}::timestamptz, ${hourlyLimit})
        ON CONFLICT (hour_start) DO UPDATE SET calls_used = greatest(b.calls_used, ${hourlyLimit})`;
    },
    async used(at) {
      const rows = await sql<
        { calls_used: number }[]
      >`SELECT calls_used FROM drchrono_call_budget WHERE hour_start = ${hourStart(at ?? new Date(clock())).toISOString()}::timestamptz`;
      return rows[0]?.calls_used ?? 0;
    },
    async usageByKind(at) {
      const rows = await sql<{ kind: DrChronoCallKind; calls: number }[]>`
        SELECT kind, calls FROM drchrono_call_usage
        WHERE hour_start = ${hourStart(at ?? new Date(clock())).toISOString()}::timestamptz`;
      return Object.fromEntries(rows.map((r) => [r.kind, r.calls]));
    },
  };
}
