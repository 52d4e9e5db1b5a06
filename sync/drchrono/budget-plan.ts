import type { Sql } from 'postgres';
import { drchronoCallKinds, type DrChronoCallKind } from '../../schema/drchrono-api.js';
import { hourStart, priorityLimit } from './budget.js';
import { syncPageSize } from './list-params.js';
import { tableOf } from './mappers.js';
import type { DrChronoResource } from './types.js';

// What `platform budget` shows on-call: this hour's DrChrono calls by kind, what the coming hours will spend, and
// when a running full or deep walk will finish at the background share (sync/drchrono/budget.ts). Read-only.

const HOUR_MS = 3_600_000;
/** Complete hours averaged to predict the cycles' and webhooks' use of the next hours. */
const HISTORY_HOURS = 4;

export interface BudgetShares {
  readonly hourlyLimit: number;
  readonly webhookReserve: number;
  readonly incrementalReserve: number;
}

export type CallsByKind = Partial<Record<DrChronoCallKind, number>>;

export interface WalkForecast {
  readonly resource: string;
  readonly kind: string;
  readonly startedAt: Date;
  readonly pages: number;
  readonly recordsSeen: number;
  /**
   * Records Postgres holds for the resource: the best size estimate DrChrono (which has no count API) allows. Null
   * when Postgres holds no more than the walk has seen (an initial sync): the size is then unknown.
   */
  readonly recordsExpected: number | null;
  readonly callsLeft: number | null;
  /** When the walk should finish at the background share; null when it cannot be estimated. */
  readonly finishesBy: Date | null;
}

export interface BudgetPlan {
  readonly now: Date;
  readonly hour: Date;
  readonly shares: BudgetShares & { readonly background: number };
  readonly thisHour: CallsByKind;
  readonly usedThisHour: number;
  /** Calls per hour the cycles, refreshes and webhooks used on average over the last complete hours. */
  readonly foregroundPerHour: number;
  readonly nextHours: readonly { hour: Date; foreground: number; background: number }[];
  readonly walks: readonly WalkForecast[];
}

const sum = (calls: CallsByKind) => Object.values(calls).reduce((a, b) => a + (b ?? 0), 0);
const isBackground = (kind: string) => kind === 'full' || kind === 'deep_reconcile';

/** Builds the plan from drchrono_call_usage and sync_walks at `now`. */
export async function planBudget(sql: Sql, shares: BudgetShares, now: Date): Promise<BudgetPlan> {
  const hour = hourStart(now);
  const background = priorityLimit(shares, 'background');
  const rows = await sql<{ hour_start: Date; kind: DrChronoCallKind; calls: number }[]>`
    SELECT hour_start, kind, calls FROM drchrono_call_usage
    WHERE hour_start > ${new Date(hour.getTime() - (HISTORY_HOURS + 1) * HOUR_MS).toISOString()}::timestamptz`;
  const byHour = new Map<number, CallsByKind>();
  for (const r of rows) {
    const key = new Date(r.hour_start).getTime();
    byHour.set(key, { ...byHour.get(key), [r.kind]: r.calls });
  }
  const thisHour = byHour.get(hour.getTime()) ?? {};
  let foreground = 0;
  for (let i = 1; i <= HISTORY_HOURS; i++) {
    const calls = byHour.get(hour.getTime() - i * HOUR_MS) ?? {};
    foreground += Object.entries(calls)
      .filter(([kind]) => !isBackground(kind))
      .reduce((a, [, n]) => a + (n ?? 0), 0);
  }
  const foregroundPerHour = Math.round(foreground / HISTORY_HOURS);

  const open = await sql<{ resource: string; kind: string; started_at: Date; pages: number; records_seen: number }[]>`
    SELECT resource, kind, started_at, pages, records_seen FROM sync_walks WHERE finished_at IS NULL ORDER BY started_at`;
  const walks: WalkForecast[] = [];
  const backgroundLeftThisHour = Math.max(
    0,
    background - Object.entries(thisHour).reduce((a, [k, n]) => a + (isBackground(k) ? (n ?? 0) : 0), 0),
  );
  let backlog = 0;
  for (const w of open) {
    const table = Object.hasOwn(tableOf, w.resource) ? tableOf[w.resource as DrChronoResource] : undefined;
    const [count] = table ? await sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "${table}"`) : [{ n: 0 }];
    const expected = (count?.n ?? 0) > w.records_seen ? count!.n : null;
    const pageSize = table ? syncPageSize(w.resource as DrChronoResource) : 250;
    const callsLeft = expected === null ? null : Math.ceil((expected - w.records_seen) / pageSize);
    backlog += callsLeft ?? 0;
    // Walks run one after another (one resource at a time): each finishes after the backlog before it, spending this
    // hour's background calls left and then a full background share per hour.
    const afterThisHour = Math.max(0, backlog - backgroundLeftThisHour);
    const finishesBy =
      callsLeft === null
        ? null
        : afterThisHour === 0
          ? now
          : background > 0
            ? new Date(hour.getTime() + HOUR_MS + Math.round((afterThisHour / background) * HOUR_MS))
            : null;
    walks.push({
      resource: w.resource,
      kind: w.kind,
      startedAt: new Date(w.started_at),
      pages: w.pages,
      recordsSeen: w.records_seen,
      recordsExpected: expected,
      callsLeft,
      finishesBy,
    });
  }
  backlog = Math.max(0, backlog - backgroundLeftThisHour);
  const nextHours = Array.from({ length: 3 }, (_, i) => {
    const spend = Math.min(backlog, background);
    backlog -= spend;
    return { hour: new Date(hour.getTime() + (i + 1) * HOUR_MS), foreground: foregroundPerHour, background: spend };
  });
  return {
    now,
    hour,
    shares: { ...shares, background },
    thisHour,
    usedThisHour: sum(thisHour),
    foregroundPerHour,
    nextHours,
    walks,
  };
}

const time = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ') + 'Z';

/** The plan as on-call reads it. */
export function formatBudgetPlan(plan: BudgetPlan): string {
  const { shares } = plan;
  const kinds = drchronoCallKinds
    .filter((k) => (plan.thisHour[k] ?? 0) > 0)
    .map((k) => `  ${k.padEnd(16)} ${String(plan.thisHour[k]).padStart(4)}`)
    .join('\n');
  const lines = [
    `DrChrono calls this hour (${time(plan.hour)}): ${plan.usedThisHour} of ${shares.hourlyLimit}`,
    kinds || '  (none yet)',
    `Shares per hour: background walks ${shares.background}, incremental cycles ${shares.incrementalReserve} kept, webhooks ${shares.webhookReserve} kept`,
    `Cycles, refreshes and webhooks used ${plan.foregroundPerHour} calls per hour on average over the last ${HISTORY_HOURS} hours`,
    'Next hours:',
    ...plan.nextHours.map((h) => `  ${time(h.hour)}  ~${h.foreground} foreground + ${h.background} background`),
  ];
  if (plan.walks.length === 0) lines.push('No full or deep walk is running.');
  for (const w of plan.walks)
    lines.push(
      `Walk ${w.kind} ${w.resource}: ${w.pages} pages, ${w.recordsSeen}${w.recordsExpected === null ? '' : ` of ~${w.recordsExpected}`} records since ${time(w.startedAt)}; ` +
        (w.callsLeft === null
          ? 'size unknown (an initial sync: DrChrono has no count), finish time unknown'
          : `~${w.callsLeft} calls left, finishes by ${w.finishesBy ? time(w.finishesBy) : 'unknown'}`),
    );
  return `${lines.join('\n')}\n`;
}
