import type { Sql, TransactionSql } from 'postgres';
import { dbSpan } from '../observability/spans.js';

// `processed_messages`: Pub/Sub message ids whose push fully succeeded (DESIGN §5, §7.4). The app role may only
// INSERT and SELECT; `processed_messages_cleanup()` (SECURITY DEFINER) removes ids older than Pub/Sub's 7-day
// redelivery horizon.

/**
 * Whether this message was already pushed. With `publishedAt` (the envelope's publishTime) a record only counts if
 * it was made at or after the publish: a redelivery was processed after it was published, whereas a new message
 * that reuses an old id was not. Pub/Sub promises unique ids per topic, but the emulator restarts its counter at 1
 * whenever it restarts, and skipping such a message as a "duplicate" would lose its rows. Clock skew between
 * Pub/Sub and Postgres can at worst make a redelivery look new: it is pushed again, which is idempotent.
 * (The time goes in as ISO text: drizzle makes postgres.js pass Date parameters through unserialized.)
 */
export async function isProcessed(sql: Sql | TransactionSql, messageId: string, publishedAt?: Date): Promise<boolean> {
  const rows = await dbSpan('processed message check', { operation: 'SELECT', table: 'processed_messages' }, () =>
    publishedAt
      ? sql`SELECT 1 FROM processed_messages WHERE message_id = ${messageId} AND processed_at >= ${publishedAt.toISOString()}::timestamptz`
      : sql`SELECT 1 FROM processed_messages WHERE message_id = ${messageId}`,
  );
  return rows.length > 0;
}

/** Records a message as done; a concurrent duplicate that got there first is fine. */
export async function markProcessed(sql: Sql | TransactionSql, messageId: string, subscription: string): Promise<void> {
  await dbSpan(
    'processed message insert',
    { operation: 'INSERT', table: 'processed_messages' },
    () =>
      sql`INSERT INTO processed_messages (message_id, subscription) VALUES (${messageId}, ${subscription}) ON CONFLICT (message_id) DO NOTHING`,
  );
}

/** Runs the TTL cleanup; resolves with the number of ids removed. */
export async function cleanupProcessedMessages(sql: Sql): Promise<number> {
  const [row] = await sql<{ removed: number }[]>`SELECT processed_messages_cleanup() AS removed`;
  return Number(row?.removed ?? 0);
}
