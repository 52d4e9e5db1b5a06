import type { Sql } from 'postgres';
import { inChangeTransaction } from '../db/change-transaction.js';
import { lockLabOrders, recomputeLabOrderStatuses } from './recompute.js';

/** What acknowledging a review item did. */
export type AcknowledgeOutcome =
  | {
      readonly status: 'acknowledged';
      readonly id: number;
      readonly acknowledgedAt: string;
      readonly labOrder: string | null;
    }
  | { readonly status: 'not_found' }
  | { readonly status: 'already_closed'; readonly closedAt: string; readonly closeReason: string | null };

export interface AcknowledgeRequest {
  readonly reviewId: number;
  /** The staff member's email (from IAP), stored in `acknowledged_by`. */
  readonly staffEmail: string;
  /** change_log.actor, e.g. `staff:<email>`. */
  readonly actor: string;
  readonly requestId?: string;
}

/**
 * A clinician acknowledges one review item: records who and when and closes it (reason `acknowledged`), in one
 * change transaction with the actor (so change_log says who), and recomputes the order's status for Coda. An item
 * already closed (acknowledged before, or closed by the system) is left as it is.
 */
export async function acknowledgeLabReview(sql: Sql, request: AcknowledgeRequest): Promise<AcknowledgeOutcome> {
  return inChangeTransaction(sql, { actor: request.actor, requestId: request.requestId }, async (tx) => {
    const [found] = await tx<{ lab_order: string | null; lab_result: string }[]>`
      SELECT lab_order, lab_result FROM lab_reviews WHERE id = ${request.reviewId}`;
    if (!found) return { status: 'not_found' } as const;
    // The same lock the recompute takes: an acknowledgement and a result change of one order run one after the other.
    await lockLabOrders(tx, [found.lab_order ?? `result:${found.lab_result}`]);
    const [row] = await tx<{ closed_at: string | null; close_reason: string | null }[]>`
      SELECT closed_at::text, close_reason FROM lab_reviews WHERE id = ${request.reviewId} FOR UPDATE`;
    if (row!.closed_at !== null)
      return { status: 'already_closed', closedAt: row!.closed_at, closeReason: row!.close_reason } as const;
    const [done] = await tx<{ acknowledged_at: string }[]>`
      UPDATE lab_reviews SET acknowledged_at = now(), acknowledged_by = ${request.staffEmail}, closed_at = now(),
        close_reason = 'acknowledged'
      WHERE id = ${request.reviewId} RETURNING acknowledged_at::text`;
    await tx`INSERT INTO outbox (table_name, row_id, op) VALUES ('lab_reviews', ${request.reviewId}, 'upsert')`;
    if (found.lab_order) await recomputeLabOrderStatuses(tx, [found.lab_order]);
    return {
      status: 'acknowledged',
      id: request.reviewId,
      acknowledgedAt: done!.acknowledged_at,
      labOrder: found.lab_order,
    } as const;
  });
}
