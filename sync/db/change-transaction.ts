import type { Sql, TransactionSql } from 'postgres';
import { activeTraceparent } from '../observability/spans.js';
import { retryTransient } from './transient.js';

export interface ChangeContext {
  /** Who made the change, recorded in change_log.actor (e.g. `sync:full`, `webhook:drchrono`, a staff email). */
  readonly actor: string;
  /** Correlates change_log rows with the request or job that made them. */
  readonly requestId?: string;
}

/**
 * Runs `work` in a transaction whose audit rows carry the given actor and request id, and whose outbox rows carry
 * the active span's W3C traceparent (`app.traceparent`, read by `outbox.trace_context`'s default; empty when tracing
 * is off). A transaction that failed
 * only because the connection dropped or the server was restarting is run again (every caller's work is idempotent:
 * upserts compare before writing, webhook deliveries dedupe on their id).
 */
export async function inChangeTransaction<T>(
  sql: Sql,
  context: ChangeContext,
  work: (tx: TransactionSql) => Promise<T>,
): Promise<T> {
  return retryTransient(
    () =>
      sql.begin(async (tx) => {
        await tx`SELECT set_config('app.actor', ${context.actor}, true), set_config('app.request_id', ${context.requestId ?? ''}, true), set_config('app.traceparent', ${activeTraceparent() ?? ''}, true)`;
        return work(tx);
      }) as Promise<T>,
  );
}
