import { Hono, type MiddlewareHandler } from 'hono';
import type { Sql } from 'postgres';
import { acknowledgeLabReview } from '../../sync/labs/acknowledge.js';
import type { Logger } from '../../sync/observability/logger.js';
import type { AppEnv } from '../app.js';
import { actorFor, requireStaffRole, type GoogleAuthVariables, type Principal } from '../middleware/google-auth.js';
import { httpError } from '../middleware/http-error.js';

const REVIEW_ID = /^[1-9]\d{0,15}$/;

/**
 * `POST /labs/reviews/:id/acknowledge` — a clinician (or admin) acknowledges one lab review item (IAP identity; the
 * operator guard admits staff, `requireStaffRole` narrows to `clinician`/`admin`). 200 `{id, acknowledgedAt,
 * acknowledgedBy}`; 400 for an id that is not a positive integer; 403 for a service account (an acknowledgement is a
 * person's); 404 for an unknown id; 409 when the item is already closed. The response and logs carry ids only.
 */
export function labRoutes(deps: { sql: Sql; guard: MiddlewareHandler; logger: Logger }) {
  const app = new Hono<AppEnv & { Variables: GoogleAuthVariables }>();
  const clinicians = requireStaffRole(deps.logger, 'clinician', 'admin');
  app.post('/labs/reviews/:id/acknowledge', deps.guard, clinicians, async (c) => {
    const raw = c.req.param('id');
    if (!REVIEW_ID.test(raw)) throw httpError(400, 'review id must be a positive integer');
    const principal = c.get('principal') as Principal | undefined;
    if (principal?.kind !== 'staff') throw httpError(403, 'only staff can acknowledge a lab review');
    const reviewId = Number(raw);
    const outcome = await acknowledgeLabReview(deps.sql, {
      reviewId,
      staffEmail: principal.email,
      actor: actorFor(principal),
      requestId: c.get('requestId'),
    });
    if (outcome.status === 'not_found') throw httpError(404, 'lab review not found');
    if (outcome.status === 'already_closed')
      return c.json(
        { error: 'lab review already closed', closedAt: outcome.closedAt, closeReason: outcome.closeReason },
        409,
      );
    deps.logger.info({ requestId: c.get('requestId'), reviewId }, 'lab review acknowledged');
    return c.json({ id: outcome.id, acknowledgedAt: outcome.acknowledgedAt, acknowledgedBy: principal.email });
  });
  return app;
}
