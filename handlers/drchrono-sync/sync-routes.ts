import { Hono, type MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { syncAll, syncResource, SyncInProgressError, type SyncDeps, type SyncKind } from '../../sync/drchrono/sync.js';
import { CallBudgetExhaustedError, DrChronoAuthError, RateLimitedError } from '../../sync/drchrono/errors.js';
import type { DrChronoResource } from '../../sync/drchrono/types.js';
import type { AppEnv } from '../app.js';
import { actorFor, type GoogleAuthVariables } from '../middleware/google-auth.js';

/** What on-call reads when DrChrono refuses our authorisation (also the runbook's title). */
export const DRCHRONO_REAUTHORISE = 'DrChrono authorisation missing or revoked: re-authorise DrChrono (docs/runbooks/drchrono-token-refresh.md)';

const targets: Record<string, DrChronoResource | 'all'> = {
  patients: 'patients', appointments: 'appointments', 'clinical-notes': 'clinical_notes', medications: 'medications', all: 'all',
};

/**
 * `POST /sync/patients|appointments|clinical-notes|medications|all` for Cloud Scheduler (OIDC) and staff (IAP):
 * incremental by default, `?full=true` walks everything, `?deep=true` also soft-deletes what DrChrono dropped.
 */
export function syncRoutes(deps: { sync: SyncDeps; guard: MiddlewareHandler }) {
  const app = new Hono<AppEnv & { Variables: GoogleAuthVariables }>();
  app.post('/sync/:target', deps.guard, async (c) => {
    const target = targets[c.req.param('target')];
    if (!target) throw new HTTPException(404, { message: 'not found' });
    const kind: SyncKind = c.req.query('deep') === 'true' ? 'deep_reconcile' : c.req.query('full') === 'true' ? 'full' : 'incremental';
    const options = { requestId: c.get('requestId'), actor: actorFor(c.get('principal')) };
    try {
      const results = target === 'all' ? await syncAll(deps.sync, kind, options) : [await syncResource(deps.sync, target, kind, options)];
      return c.json({ kind, results: results.map(({ changedPatients: _, ...r }) => r) });
    } catch (error) {
      if (error instanceof DrChronoAuthError) {
        // Not a bug in this service: the token pair is missing or revoked, and only a person can fix that.
        throw new HTTPException(503, { res: c.json({ error: DRCHRONO_REAUTHORISE }, 503) });
      }
      if (error instanceof SyncInProgressError) throw new HTTPException(409, { message: 'a sync of this resource is already running' });
      if (error instanceof CallBudgetExhaustedError || error instanceof RateLimitedError) {
        const retryAfter = Math.max(1, Math.ceil((error.resetsAt.getTime() - Date.now()) / 1000));
        throw new HTTPException(503, { res: c.json({ error: 'DrChrono call budget exhausted' }, 503, { 'Retry-After': String(retryAfter) }) });
      }
      throw error;
    }
  });
  return app;
}
