import { setTimeout as delay } from 'node:timers/promises';
import { DRCHRONO_HOURLY_CALL_LIMIT, DRCHRONO_WEBHOOK_CALL_RESERVE, LOG_EVENTS } from '../../contract/resources.js';
import type { Logger } from '../observability/logger.js';
import type { Sql } from 'postgres';
import { CallBudgetExhaustedError } from './errors.js';
import type { CallPriority } from './types.js';

// DrChrono allows 500 calls per application per clock hour (DESIGN §7.1). Every instance reserves each call in
// Postgres before making it, so all of them together stay under the limit, and `sync` work stops short of the share
// kept for webhook-triggered work.

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
  /**
   * Reserves one call in the current clock hour for `priority`, waiting for the next hour (sync, `whenExhausted:
   * 'wait'`) when there is no room.
   * @throws CallBudgetExhaustedError when there is no room and waiting is not allowed.
   */
  reserve(priority: CallPriority, signal?: AbortSignal): Promise<void>;
  /** Marks the current hour as full (DrChrono answered 429), so other instances stop spending calls too. */
  markHourExhausted(): Promise<void>;
  /** Calls reserved in the clock hour containing `at` (default now). */
  used(at?: Date): Promise<number>;
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
  const { sql } = options;
  const clock = options.clock ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const whenExhausted = options.whenExhausted ?? 'wait';

  /** One statement: insert the hour's first call, or add one while under `limit`. No row back = no room. */
  async function tryReserve(limit: number): Promise<{ ok: boolean; hour: Date; used?: number }> {
    const hour = hourStart(new Date(clock()));
    const rows = await sql<{ calls_used: number }[]>`
      INSERT INTO drchrono_call_budget AS b (hour_start, calls_used) VALUES (${hour.toISOString()}::timestamptz, 1)
      ON CONFLICT (hour_start) DO UPDATE SET calls_used = b.calls_used + 1 WHERE b.calls_used < ${limit}
      RETURNING calls_used`;
    return { ok: rows.length === 1, hour, used: rows[0]?.calls_used };
  }

  return {
    hourlyLimit,
    webhookReserve,
    async reserve(priority, signal) {
      const limit = priority === 'webhook' ? hourlyLimit : hourlyLimit - webhookReserve;
      for (;;) {
        signal?.throwIfAborted();
        const { ok, hour, used } = await tryReserve(limit);
        if (ok) {
          // One line per call (≤ 500 an hour): the dashboard's calls-by-kind and used-vs-budget charts read it.
          options.logger?.info(
            { event: LOG_EVENTS.drchronoCallReserved, kind: priority, usedThisHour: used, limit: hourlyLimit },
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
  };
}
