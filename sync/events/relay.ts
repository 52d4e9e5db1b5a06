import type { Sql, TransactionSql } from 'postgres';
import type { Logger } from '../observability/logger.js';
import {
  activeSpanContext,
  contextWithParent,
  dbSpan,
  recordDbSpan,
  SpanKind,
  spanContextOf,
  withSpan,
  type Link,
} from '../observability/spans.js';
import { errorClass, PublishTimeoutError } from './errors.js';
import { LOG_EVENTS } from '../../contract/resources.js';
import { encodeChangeEvent, MAX_IDS_PER_MESSAGE, type ChangeEvent, type Publisher } from './types.js';

export interface OutboxRelayOptions {
  readonly sql: Sql;
  readonly publisher: Publisher;
  readonly logger: Logger;
  /** Most outbox rows claimed per pass (one transaction). @default 5000 */
  readonly batchLimit?: number;
  /** Timer period in milliseconds: the fallback when a NOTIFY is missed. @default 1000 */
  readonly intervalMs?: number;
  /** Milliseconds to wait after a NOTIFY before claiming, so rows of one sync page share messages. @default 25 */
  readonly notifyDelayMs?: number;
  /** Longest wait after consecutive publish failures (doubling from intervalMs). @default 30000 */
  readonly maxBackoffMs?: number;
  /** A publish not resolved within this many milliseconds counts as failed (its rows stay pending). @default 30000 */
  readonly publishTimeoutMs?: number;
  /** Most passes one `drain()` runs before returning (the rest waits for the next call or the timer). @default 100 */
  readonly maxDrainPasses?: number;
  /** Epoch milliseconds. @default Date.now */
  readonly clock?: () => number;
}

export interface RelayResult {
  /** Outbox rows marked published. */
  readonly published: number;
  /** Messages the bus accepted. */
  readonly messages: number;
  /** Outbox rows whose message failed; they stay pending with `attempts` incremented. */
  readonly failed: number;
}

export interface OutboxRelay {
  /** Listens on the `outbox` channel and starts the timer; runs a first pass straight away. */
  start(): Promise<void>;
  /** Stops listening and the timer and waits for a pass in flight. */
  stop(): Promise<void>;
  /**
   * Runs passes until no pending row is left to claim, a publish fails, or `maxDrainPasses` is reached.
   * Database errors are thrown; publish failures are counted in `failed`.
   */
  drain(): Promise<RelayResult>;
}

interface Claimed {
  readonly id: string;
  readonly table_name: string;
  readonly row_id: string;
  /**
   * When the change committed: the outbox row's `created_at` as epoch milliseconds (the platform reads timestamptz
   * as text, so the claim asks for a number). Absent in callers that only group rows.
   */
  readonly created_ms?: number;
  /** The W3C traceparent of the transaction that wrote the row, when it was traced. */
  readonly trace_context?: string | null;
}

interface Chunk {
  readonly event: ChangeEvent;
  /** Outbox row ids this message announces. */
  readonly outboxIds: string[];
  /** The oldest commit among them: coda-push measures change-event age (commit → Coda) from it. */
  readonly committedAt?: Date;
  /** The distinct traceparents of those rows, in claim order: the first is the message's parent, the rest links. */
  readonly traceContexts: string[];
}

/** Most span links on one publish span (the rest of a big sync page's traces are not linked). */
const MAX_LINKS = 32;
/** What the relay publishes to. */
const DESTINATION = 'change-events';

/** Groups claimed rows by table into events of at most 500 distinct row ids, in claim (id) order. */
export function coalesce(rows: readonly Claimed[]): Chunk[] {
  const byTable = new Map<string, Map<number, Claimed[]>>();
  for (const row of rows) {
    let ids = byTable.get(row.table_name);
    if (!ids) byTable.set(row.table_name, (ids = new Map()));
    const rowId = Number(row.row_id);
    const claimed = ids.get(rowId);
    if (claimed) claimed.push(row);
    else ids.set(rowId, [row]);
  }
  const committed = new Map(
    rows.flatMap((r) => (Number.isFinite(r.created_ms) ? [[r.id, r.created_ms!] as const] : [])),
  );
  const chunks: Chunk[] = [];
  for (const [table, ids] of byTable) {
    const entries = [...ids];
    for (let i = 0; i < entries.length; i += MAX_IDS_PER_MESSAGE) {
      const slice = entries.slice(i, i + MAX_IDS_PER_MESSAGE);
      const claimed = slice.flatMap(([, c]) => c);
      const outboxIds = claimed.map((c) => c.id);
      const times = outboxIds.flatMap((id) => committed.get(id) ?? []);
      chunks.push({
        event: { table, ids: slice.map(([rowId]) => rowId) },
        outboxIds,
        traceContexts: [...new Set(claimed.flatMap((c) => (c.trace_context ? [c.trace_context] : [])))],
        ...(times.length > 0 && { committedAt: new Date(Math.min(...times)) }),
      });
    }
  }
  return chunks;
}

/**
 * The transactional outbox relay (DESIGN §7.5). Each pass, in one transaction: claims pending outbox rows
 * `FOR UPDATE SKIP LOCKED` (oldest first, up to `batchLimit`), coalesces them per table into change events of ≤ 500
 * row ids (table + ids only, no PHI), publishes them and waits for each message id, then marks exactly the rows of the
 * accepted messages published. A crash before commit leaves the rows pending, so they are published again:
 * at-least-once, and consumers dedupe. Rows of a failed publish get `attempts + 1` and `last_error_class`, stay
 * pending, and the relay backs off (doubling from `intervalMs` up to `maxBackoffMs`). Several relays can run against
 * one database: SKIP LOCKED hands each row to one of them per pass.
 *
 * Wakes on `LISTEN outbox` (the outbox trigger's `pg_notify`) and on a timer; `drain()` is the scheduler's safety net.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { sql, publisher, logger } = options;
  const batchLimit = options.batchLimit ?? 5000;
  const intervalMs = options.intervalMs ?? 1000;
  const notifyDelayMs = options.notifyDelayMs ?? 25;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const publishTimeoutMs = options.publishTimeoutMs ?? 30_000;
  const maxDrainPasses = options.maxDrainPasses ?? 100;
  const clock = options.clock ?? Date.now;
  if (!Number.isInteger(batchLimit) || batchLimit < 1)
    throw new Error(`batchLimit must be a positive integer, got ${batchLimit}`);
  if (!(intervalMs > 0)) throw new Error(`intervalMs must be positive, got ${intervalMs}`);

  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let listening: Promise<void> | undefined;
  /** The pass loop or drain in flight; passes in one process never overlap. */
  let busy: Promise<unknown> | undefined;
  let wakeAgain = false;
  let failures = 0;
  let backoffUntil = 0;

  const withTimeout = async <T>(work: Promise<T>): Promise<T> => {
    let handle: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      handle = setTimeout(
        () => reject(new PublishTimeoutError(`publish not confirmed within ${publishTimeoutMs} ms`)),
        publishTimeoutMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(handle);
    }
  };

  /**
   * Publishes one chunk in a producer span. The span continues the trace of the chunk's first traced outbox row (the
   * webhook or sync that wrote it) and links the relay pass and the other rows' traces; without a traced row it is
   * a child of the pass. The publisher injects this span's context into the message attributes.
   */
  function publishChunk(chunk: Chunk): Promise<string> {
    const [first, ...others] = chunk.traceContexts;
    const parent = spanContextOf(first);
    const pass = activeSpanContext();
    const links: Link[] = [
      ...(parent && pass ? [{ context: pass }] : []),
      ...others.flatMap((tp) => {
        const linked = spanContextOf(tp);
        return linked ? [{ context: linked }] : [];
      }),
    ].slice(0, MAX_LINKS);
    return withSpan(
      `send ${DESTINATION}`,
      {
        kind: SpanKind.PRODUCER,
        ...(parent && { parent: contextWithParent(parent) }),
        links,
        attributes: {
          'messaging.system': publisher.system ?? 'unknown',
          'messaging.destination.name': DESTINATION,
          'messaging.operation.type': 'send',
          'app.table': chunk.event.table,
          'app.id_count': chunk.event.ids.length,
          'app.outbox_row_count': chunk.outboxIds.length,
        },
      },
      async (span) => {
        const messageId = await withTimeout(publisher.publish(encodeChangeEvent(chunk.event, chunk.committedAt)));
        span.setAttribute('messaging.message.id', messageId);
        return messageId;
      },
    );
  }

  /**
   * One claim → publish → mark transaction. `claimed` tells the caller whether more may be pending. A pass that
   * claims rows is traced (`outbox relay pass`, with its claim, publishes and marks); an empty one is not, so the
   * timer does not fill the trace store with empty passes.
   */
  async function pass(): Promise<RelayResult & { claimed: number }> {
    return sql.begin(async (tx: TransactionSql) => {
      const claimStarted = new Date();
      const rows = await tx<Claimed[]>`
        SELECT id, table_name, row_id, trace_context, (extract(epoch FROM created_at) * 1000)::float8 AS created_ms
        FROM outbox WHERE published_at IS NULL
        ORDER BY id LIMIT ${batchLimit} FOR UPDATE SKIP LOCKED`;
      if (rows.length === 0) return { claimed: 0, published: 0, messages: 0, failed: 0 };
      const claimEnded = new Date();
      return withSpan(
        'outbox relay pass',
        { startTime: claimStarted, attributes: { 'app.outbox_row_count': rows.length } },
        async (span) => {
          recordDbSpan(
            'outbox claim',
            { operation: 'SELECT', table: 'outbox', attributes: { 'app.row_count': rows.length } },
            claimStarted,
            claimEnded,
          );
          const result = await publishClaimed(tx, rows);
          span.setAttributes({ 'app.messages': result.messages, 'app.failed_rows': result.failed });
          return result;
        },
      );
    }) as Promise<RelayResult & { claimed: number }>;
  }

  async function publishClaimed(
    tx: TransactionSql,
    rows: readonly Claimed[],
  ): Promise<RelayResult & { claimed: number }> {
    const chunks = coalesce(rows);
    const outcomes = await Promise.allSettled(chunks.map((chunk) => publishChunk(chunk)));
    const publishedIds: string[] = [];
    const failedByClass = new Map<string, string[]>();
    let messages = 0;
    outcomes.forEach((outcome, i) => {
      const chunk = chunks[i]!;
      if (outcome.status === 'fulfilled') {
        messages++;
        publishedIds.push(...chunk.outboxIds);
      } else {
        const cls = errorClass(outcome.reason);
        failedByClass.set(cls, [...(failedByClass.get(cls) ?? []), ...chunk.outboxIds]);
        logger.warn(
          { err: outcome.reason, errorClass: cls, table: chunk.event.table, ids: chunk.event.ids.length },
          'outbox publish failed; rows stay pending',
        );
      }
    });
    if (publishedIds.length > 0) {
      await dbSpan(
        'outbox mark published',
        { operation: 'UPDATE', table: 'outbox' },
        () => tx`UPDATE outbox SET published_at = now() WHERE id = ANY(${publishedIds}::bigint[])`,
      );
    }
    let failed = 0;
    for (const [cls, ids] of failedByClass) {
      failed += ids.length;
      await dbSpan(
        'outbox mark failed',
        { operation: 'UPDATE', table: 'outbox' },
        () => tx`UPDATE outbox SET attempts = attempts + 1, last_error_class = ${cls} WHERE id = ANY(${ids}::bigint[])`,
      );
    }
    return { claimed: rows.length, published: publishedIds.length, messages, failed };
  }

  const noteOutcome = (result: RelayResult) => {
    if (result.failed > 0) {
      failures++;
      const wait = Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(failures, 20));
      backoffUntil = clock() + wait;
      logger.warn(
        { failed: result.failed, published: result.published, consecutiveFailures: failures, backoffMs: wait },
        'outbox relay backing off',
      );
    } else {
      if (failures > 0) logger.info({ published: result.published }, 'outbox relay recovered');
      failures = 0;
      backoffUntil = 0;
    }
    if (result.published > 0)
      logger.info({ published: result.published, messages: result.messages }, 'outbox published');
  };

  /** Passes for the background loop: until nothing is left, a publish fails, or the relay stops. Never throws. */
  async function backgroundPasses(): Promise<void> {
    do {
      wakeAgain = false;
      if (clock() < backoffUntil) return;
      try {
        const result = await pass();
        noteOutcome(result);
        if (result.failed > 0) return;
        if (result.claimed >= batchLimit) wakeAgain = true;
      } catch (error) {
        failures++;
        backoffUntil = clock() + Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(failures, 20));
        logger.error(
          { err: error, errorClass: errorClass(error), consecutiveFailures: failures },
          'outbox relay pass failed',
        );
        return;
      }
    } while (wakeAgain && started);
  }

  function schedule(ms: number): void {
    if (!started) return;
    clearTimeout(timer);
    timer = setTimeout(tick, Math.max(0, ms));
    timer.unref();
  }

  function nextDelay(): number {
    const untilBackoff = backoffUntil - clock();
    return untilBackoff > 0 ? untilBackoff : intervalMs;
  }

  function tick(): void {
    if (!started) return;
    if (busy) {
      // A drain() is running; look again after it (the background loop re-checks wakeAgain itself).
      wakeAgain = true;
      schedule(intervalMs);
      return;
    }
    if (!unlisten && !listening) listening = listen();
    const run = backgroundPasses();
    busy = run;
    void run.finally(() => {
      if (busy === run) busy = undefined;
      schedule(wakeAgain && clock() >= backoffUntil ? 0 : nextDelay());
    });
  }

  function onNotify(): void {
    if (!started) return;
    if (busy) {
      wakeAgain = true;
      return;
    }
    // During a back-off the timer fires when it ends; a NOTIFY must not hammer a failing bus.
    if (clock() < backoffUntil) return;
    schedule(notifyDelayMs);
  }

  async function listen(): Promise<void> {
    try {
      const meta = await sql.listen('outbox', onNotify);
      if (!started) {
        await meta.unlisten();
        return;
      }
      unlisten = meta.unlisten;
    } catch (error) {
      logger.warn({ err: error, errorClass: errorClass(error) }, 'outbox relay cannot LISTEN; relying on the timer');
    } finally {
      listening = undefined;
    }
  }

  return {
    async start() {
      if (started) return;
      started = true;
      listening = listen();
      await listening;
      schedule(0);
    },

    async stop() {
      started = false;
      clearTimeout(timer);
      timer = undefined;
      await listening;
      const stopListening = unlisten;
      unlisten = undefined;
      await stopListening?.().catch(() => undefined);
      while (busy) await busy.catch(() => undefined);
    },

    async drain() {
      while (busy) await busy.catch(() => undefined);
      const run = (async () => {
        let published = 0;
        let messages = 0;
        let failed = 0;
        for (let i = 0; i < maxDrainPasses; i++) {
          const result = await pass();
          noteOutcome(result);
          published += result.published;
          messages += result.messages;
          failed += result.failed;
          // A short pass is followed by one more (cheap) pass, which picks up rows committed meanwhile.
          if (result.claimed === 0 || result.failed > 0) break;
        }
        // The scheduler drains every 5 minutes: this line is the dashboard's outbox-pending gauge.
        const [{ pending }] = (await sql`SELECT count(*)::int AS pending FROM outbox WHERE published_at IS NULL`) as [
          { pending: number },
        ];
        logger.info({ event: LOG_EVENTS.outboxPending, pending }, 'outbox pending after drain');
        return { published, messages, failed };
      })();
      busy = run;
      try {
        return await run;
      } finally {
        if (busy === run) busy = undefined;
      }
    },
  };
}
