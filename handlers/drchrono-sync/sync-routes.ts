import { Hono, type Context, type MiddlewareHandler } from 'hono';
import {
  syncAll,
  syncBilling,
  syncLabs,
  syncResource,
  SyncInProgressError,
  type SyncDeps,
  type SyncKind,
} from '../../sync/drchrono/sync.js';
import { CallBudgetExhaustedError, DrChronoAuthError, RateLimitedError } from '../../sync/drchrono/errors.js';
import type { DrChronoResource } from '../../sync/drchrono/types.js';
import type { AppEnv } from '../app.js';
import type { Logger } from '../../sync/observability/logger.js';
import { actorFor, requireStaffRole, type GoogleAuthVariables } from '../middleware/google-auth.js';
import { httpError, statusFor, type ErrorStatusRow } from '../middleware/http-error.js';

/** What on-call reads when DrChrono refuses our authorisation (also the runbook's title). */
export const DRCHRONO_REAUTHORISE =
  'DrChrono authorisation missing or revoked: re-authorise DrChrono (docs/runbooks/drchrono-token-refresh.md)';

/** What a sync trigger answers for the errors it knows; anything else is the app's generic 500. */
const syncErrorStatus: readonly ErrorStatusRow[] = [
  // Not a bug in this service: the token pair is missing or revoked, and only a person can fix that.
  [DrChronoAuthError, 503, DRCHRONO_REAUTHORISE],
  [SyncInProgressError, 409, 'a sync of this resource is already running'],
  // Retry-After: when the hour's budget (or DrChrono's rate limit) resets.
  [CallBudgetExhaustedError, 503, 'DrChrono call budget exhausted'],
  [RateLimitedError, 503, 'DrChrono call budget exhausted'],
];

const retryAfterSeconds = (resetsAt: Date, nowMs: number) =>
  Math.max(1, Math.ceil((resetsAt.getTime() - nowMs) / 1000));

const targets: Record<string, DrChronoResource | 'all' | 'billing' | 'labs'> = {
  patients: 'patients',
  appointments: 'appointments',
  'clinical-notes': 'clinical_notes',
  medications: 'medications',
  billing: 'billing',
  labs: 'labs',
  all: 'all',
};

/**
 * `POST /sync/patients|appointments|clinical-notes|medications|billing|labs|all` for Cloud Scheduler (OIDC) and staff
 * (IAP): incremental by default, `?full=true` walks everything, `?deep=true` also soft-deletes what DrChrono dropped.
 * Staff need `admin`; the billing sync is also open to `billing` staff (it reads and writes billing rows only).
 */
export function syncRoutes(deps: { sync: SyncDeps; guard: MiddlewareHandler; logger: Logger }) {
  const clock = deps.sync.clock ?? Date.now;
  const app = new Hono<AppEnv & { Variables: GoogleAuthVariables }>();
  const adminOnly = requireStaffRole(deps.logger, 'admin');
  const billingStaff = requireStaffRole(deps.logger, 'admin', 'billing');
  // `billing` first: Hono answers with the first matching route, and the billing sync is also open to billing staff.
  app.post('/sync/billing', deps.guard, billingStaff, (c) => run(c, 'billing'));
  app.post('/sync/:target', deps.guard, adminOnly, (c) => run(c, c.req.param('target')));
  return app;

  async function run(c: Context<AppEnv & { Variables: GoogleAuthVariables }>, name: string) {
    const target = Object.hasOwn(targets, name) ? targets[name] : undefined;
    if (!target) throw httpError(404, 'not found');
    const kind: SyncKind =
      c.req.query('deep') === 'true' ? 'deep_reconcile' : c.req.query('full') === 'true' ? 'full' : 'incremental';
    const options = { requestId: c.get('requestId'), actor: actorFor(c.get('principal')) };
    try {
      const results =
        target === 'all'
          ? await syncAll(deps.sync, kind, options)
          : target === 'billing'
            ? await syncBilling(deps.sync, kind, options)
            : target === 'labs'
              ? await syncLabs(deps.sync, kind, options)
              : [await syncResource(deps.sync, target, kind, options)];
      return c.json({ kind, results: results.map(({ changedPatients: _, ...r }) => r) });
    } catch (error) {
      const known = statusFor(error, syncErrorStatus);
      if (!known) throw error;
      const resetsAt =
        error instanceof CallBudgetExhaustedError || error instanceof RateLimitedError ? error.resetsAt : undefined;
      const headers = resetsAt && { 'Retry-After': String(retryAfterSeconds(resetsAt, clock())) };
      throw httpError(known.status, known.phrase, undefined, { cause: error, ...(headers && { headers }) });
    }
  }
}
