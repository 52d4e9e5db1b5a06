import type { Sql } from 'postgres';

// `processed_messages`: Pub/Sub message ids whose push fully succeeded (DESIGN §5, §7.4). The app role may only
// INSERT and SELECT; `processed_messages_cleanup()` (SECURITY DEFINER) removes ids older than Pub/Sub's 7-day
// redelivery horizon.

export async function isProcessed(sql: Sql, messageId: string): Promise<boolean> {
  const rows = await sql`SELECT 1 FROM processed_messages WHERE message_id = ${messageId}`;
  return rows.length > 0;
}

/** Records a message as done; a concurrent duplicate that got there first is fine. */
export async function markProcessed(sql: Sql, messageId: string, subscription: string): Promise<void> {
  await sql`INSERT INTO processed_messages (message_id, subscription) VALUES (${messageId}, ${subscription}) ON CONFLICT (message_id) DO NOTHING`;
}

/** Runs the TTL cleanup; resolves with the number of ids removed. */
export async function cleanupProcessedMessages(sql: Sql): Promise<number> {
  const [row] = await sql<{ removed: number }[]>`SELECT processed_messages_cleanup() AS removed`;
  return Number(row?.removed ?? 0);
}
