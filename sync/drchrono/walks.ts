import type { Sql, TransactionSql } from 'postgres';

// A full or deep walk of one resource can need more calls than one hour's background share (sync/drchrono/budget.ts)
// or outlive its process. Its position — DrChrono's own `next` link after the last applied page — is kept in
// sync_walks, and a deep walk's seen ids in sync_walk_seen, so the next run of the same resource and kind resumes
// there. A page re-read after a crash is harmless: upserts compare before writing.

export type WalkKind = 'full' | 'deep_reconcile';

export interface Walk {
  readonly id: number;
  /** Where to continue; null before the first page (or once the last page was applied). */
  readonly nextUrl: string | null;
  readonly pages: number;
  readonly recordsSeen: number;
  /** When the walk began (its cursor for the next incremental run is taken from here, not from a resume). */
  readonly startedAt: Date;
  /** True when this run continues a walk a previous run left unfinished. */
  readonly resumed: boolean;
}

/** The unfinished walk of `resource` and `kind`, or a new one starting at `now` (the sync's clock). */
export async function openWalk(sql: Sql, resource: string, kind: WalkKind, now: Date): Promise<Walk> {
  const [open] = await sql<
    { id: string; next_url: string | null; pages: number; records_seen: number; started_at: Date }[]
  >`
    SELECT id, next_url, pages, records_seen, started_at FROM sync_walks
    WHERE resource = ${resource} AND kind = ${kind} AND finished_at IS NULL`;
  if (open)
    return {
      id: Number(open.id),
      nextUrl: open.next_url,
      pages: open.pages,
      recordsSeen: open.records_seen,
      startedAt: new Date(open.started_at),
      resumed: open.pages > 0,
    };
  const [created] = await sql<{ id: string; started_at: Date }[]>`
    INSERT INTO sync_walks (resource, kind, started_at) VALUES (${resource}, ${kind}, ${now.toISOString()}::timestamptz)
    RETURNING id, started_at`;
  return {
    id: Number(created!.id),
    nextUrl: null,
    pages: 0,
    recordsSeen: 0,
    startedAt: new Date(created!.started_at),
    resumed: false,
  };
}

/** Records that every page up to one whose `next` link is `nextUrl` has been applied. */
export async function recordWalkProgress(
  sql: Sql,
  walkId: number,
  progress: { nextUrl: string | null; pages: number; recordsSeen: number },
): Promise<void> {
  await sql`UPDATE sync_walks SET next_url = ${progress.nextUrl}, pages = ${progress.pages},
            records_seen = ${progress.recordsSeen}, updated_at = now() WHERE id = ${walkId}`;
}

/** Remembers ids a deep walk has seen, in the transaction that applied their page. */
export async function markSeen(tx: TransactionSql, walkId: number, drchronoIds: readonly string[]): Promise<void> {
  if (drchronoIds.length === 0) return;
  await tx`INSERT INTO sync_walk_seen (walk_id, drchrono_id)
           SELECT ${walkId}, id FROM unnest(${drchronoIds as string[]}::text[]) AS id ON CONFLICT DO NOTHING`;
}

/** Live rows of `table` the deep walk did not see: what DrChrono no longer returns. */
export async function unseenLiveIds(sql: Sql, table: string, walkId: number): Promise<string[]> {
  const rows = await sql.unsafe<{ drchrono_id: string }[]>(
    `SELECT t.drchrono_id FROM "${table}" t WHERE t.deleted_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM sync_walk_seen s WHERE s.walk_id = $1 AND s.drchrono_id = t.drchrono_id)`,
    [walkId],
  );
  return rows.map((r) => r.drchrono_id);
}

/** Closes a walk and forgets its seen ids. */
export async function finishWalk(sql: Sql, walkId: number): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`DELETE FROM sync_walk_seen WHERE walk_id = ${walkId}`;
    await tx`UPDATE sync_walks SET finished_at = now(), updated_at = now(), next_url = NULL WHERE id = ${walkId}`;
  });
}
